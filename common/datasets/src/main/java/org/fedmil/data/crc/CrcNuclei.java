package org.fedmil.data.crc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Optional;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import org.fedmil.data.SourceDataException;
import org.fedmil.data.TileSiteFiles;
import org.fedmil.data.split.DirichletSplitter;
import org.fedmil.data.split.Seeds;
import org.fedmil.mil.data.BagDataset;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The crc-nuclei benchmark (colon cancer nucleus patches from the CRCHistoPhenotypes data of Sirinukunwattana
 * et al. 2016, the colon benchmark of Ilse et al. 2018): 27 × 27 RGB patches, one bag per patient (source
 * image), a bag positive iff at least one of its patches is cancerous (epithelial).
 *
 * <p>{@link #read} reads and checks the two label CSVs of the data set folder; {@link #writeSplit} turns it
 * into tile site folders for a simulated federation: a held-out set stratified by label, the other bags dealt
 * non-IID to K sites by {@link DirichletSplitter}. The tiles are symbolic links to the original patch files
 * (copies only where the file system cannot link), because the data set's licence is unstated and it must
 * not be redistributed: keep the output outside the repository.
 */
public final class CrcNuclei {

    private static final Logger LOG = LoggerFactory.getLogger(CrcNuclei.class);

    public static final String GENERATOR = "fedmil-crc-nuclei-split/1";
    public static final String MAIN_CSV = "data_labels_mainData.csv";
    public static final String EXTRA_CSV = "data_labels_extraData.csv";
    public static final String PATCH_DIR = "patch_images";
    public static final String HELDOUT = "heldout";
    public static final String MANIFEST = "manifest.json";
    public static final String INSTANCE_LABELS = "instance_labels.csv";
    public static final int PATCH_SIZE = 27;
    public static final int CHANNELS = 3;
    /** Fewest held-out bags of each label. */
    public static final int MIN_HELDOUT_PER_CLASS = 2;

    private static final List<String> REQUIRED = List.of("InstanceID", "patientID", "ImageName", "isCancerous");

    private final Path dataset;
    private final List<Patient> patients;

    private CrcNuclei(Path dataset, List<Patient> patients) {
        this.dataset = dataset;
        this.patients = patients;
    }

    /** One patch (instance) as listed in a label CSV. */
    public record Patch(int instanceId, int patientId, String imageName, int cancerous, Path csv, int line) {
    }

    /**
     * One patient's patches: a bag.
     *
     * @param patches ordered by InstanceID; instance i of the bag
     */
    public record Patient(int patientId, String bagId, int label, List<Patch> patches) {

        public Patient {
            patches = List.copyOf(patches);
        }

        public int size() {
            return patches.size();
        }

        /** The tile file name of instance {@code i}: its index (so name order is instance order) and image name. */
        public String tileName(int i) {
            return String.format(Locale.ROOT, "%04d-%s", i, patches.get(i).imageName());
        }
    }

    /** Which bags went where, by bag id; sites in order site-1..K. */
    public record Split(List<List<String>> sites, List<String> heldout) {

        public Split {
            sites = sites.stream().map(List::copyOf).toList();
            heldout = List.copyOf(heldout);
        }
    }

    /** The bag id of a patient, e.g. {@code patient-07}. */
    /**
     * Where the project's steering keeps the data set: {@code ../shared/datasets/crc-nuclei} beside the
     * repository that holds {@code from} (found by walking up to the folder with the parent pom.xml). Empty when
     * no such folder with the data set's CSV exists, e.g. outside a checkout.
     */
    public static Optional<Path> besideRepository(Path from) {
        Path dir = from.toAbsolutePath();
        while (dir != null && !(Files.isRegularFile(dir.resolve("pom.xml")) && Files.isDirectory(dir.resolve("common")))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            return Optional.empty();
        }
        Path dataset = dir.resolve("../shared/datasets/crc-nuclei").normalize();
        return Files.isRegularFile(dataset.resolve(MAIN_CSV)) ? Optional.of(dataset) : Optional.empty();
    }

    public static String bagId(int patientId) {
        return String.format(Locale.ROOT, "patient-%02d", patientId);
    }

    /**
     * Reads {@value #MAIN_CSV} and {@value #EXTRA_CSV} from {@code datasetDir} and checks that every listed
     * patch file exists in {@value #PATCH_DIR}/.
     *
     * @throws SourceDataException naming the file and line of the first problem
     */
    public static CrcNuclei read(Path datasetDir) {
        if (!Files.isDirectory(datasetDir)) {
            throw new SourceDataException(datasetDir, "not found; pass --dataset the crc-nuclei folder (the one "
                    + "holding " + MAIN_CSV + ", " + EXTRA_CSV + " and " + PATCH_DIR + "/)");
        }
        List<Patch> all = new ArrayList<>();
        all.addAll(readCsv(datasetDir.resolve(MAIN_CSV)));
        all.addAll(readCsv(datasetDir.resolve(EXTRA_CSV)));
        Map<String, Patch> byImage = new HashMap<>();
        Map<Integer, Patch> byInstance = new HashMap<>();
        Path patchDir = datasetDir.resolve(PATCH_DIR);
        for (Patch p : all) {
            Patch before = byImage.putIfAbsent(p.imageName(), p);
            if (before != null) {
                throw new SourceDataException(p.csv(), "line " + p.line() + ": image " + p.imageName()
                        + " is already listed in " + before.csv().getFileName() + " line " + before.line()
                        + "; each patch may belong to one bag only");
            }
            before = byInstance.putIfAbsent(p.instanceId(), p);
            if (before != null) {
                throw new SourceDataException(p.csv(), "line " + p.line() + ": InstanceID " + p.instanceId()
                        + " is already used in " + before.csv().getFileName() + " line " + before.line());
            }
            if (!Files.isRegularFile(patchDir.resolve(p.imageName()))) {
                throw new SourceDataException(p.csv(), "line " + p.line() + ": patch file "
                        + patchDir.resolve(p.imageName()) + " does not exist; the data set is incomplete: "
                        + "restore " + PATCH_DIR + "/");
            }
        }
        Map<Integer, List<Patch>> byPatient = new TreeMap<>();
        for (Patch p : all) {
            byPatient.computeIfAbsent(p.patientId(), k -> new ArrayList<>()).add(p);
        }
        List<Patient> patients = new ArrayList<>();
        byPatient.forEach((id, patches) -> {
            patches.sort(Comparator.comparingInt(Patch::instanceId));
            int label = patches.stream().anyMatch(p -> p.cancerous() == 1) ? 1 : 0;
            patients.add(new Patient(id, bagId(id), label, patches));
        });
        return new CrcNuclei(datasetDir, List.copyOf(patients));
    }

    private static List<Patch> readCsv(Path csv) {
        List<String> lines;
        try {
            lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new SourceDataException(csv, "not found; is " + csv.getParent() + " the crc-nuclei data set "
                    + "folder? It must hold " + MAIN_CSV + ", " + EXTRA_CSV + " and " + PATCH_DIR + "/", e);
        } catch (IOException e) {
            throw new SourceDataException(csv, "cannot be read: " + e, e);
        }
        if (lines.isEmpty()) {
            throw new SourceDataException(csv, "is empty; expected a header line with " + String.join(", ",
                    REQUIRED));
        }
        List<String> header = List.of(strip(lines.get(0)).split(",", -1));
        int[] col = new int[REQUIRED.size()];
        for (int i = 0; i < col.length; i++) {
            col[i] = header.indexOf(REQUIRED.get(i));
            if (col[i] < 0) {
                throw new SourceDataException(csv, "line 1: no column '" + REQUIRED.get(i) + "' in the header '"
                        + strip(lines.get(0)) + "'; expected columns " + String.join(", ", REQUIRED));
            }
        }
        List<Patch> out = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            int lineNo = i + 1;
            String line = strip(lines.get(i));
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split(",", -1);
            if (f.length != header.size()) {
                throw new SourceDataException(csv, "line " + lineNo + ": " + f.length + " fields, but the header "
                        + "has " + header.size() + ": '" + line + "'");
            }
            int instance = integer(csv, lineNo, "InstanceID", f[col[0]]);
            int patient = integer(csv, lineNo, "patientID", f[col[1]]);
            String image = f[col[2]].strip();
            String cancerous = f[col[3]].strip();
            if (patient < 0) {
                throw new SourceDataException(csv, "line " + lineNo + ": patientID must not be negative, got "
                        + patient);
            }
            if (image.isEmpty() || image.startsWith(".") || image.contains("/") || image.contains("\\")) {
                throw new SourceDataException(csv, "line " + lineNo + ": ImageName '" + image + "' is not a plain "
                        + "file name in " + PATCH_DIR + "/");
            }
            if (!cancerous.equals("0") && !cancerous.equals("1")) {
                throw new SourceDataException(csv, "line " + lineNo + ": isCancerous must be 0 or 1, got '"
                        + cancerous + "'");
            }
            out.add(new Patch(instance, patient, image, Integer.parseInt(cancerous), csv, lineNo));
        }
        if (out.isEmpty()) {
            throw new SourceDataException(csv, "lists no patches");
        }
        return out;
    }

    private static String strip(String line) {
        return line.startsWith("\uFEFF") ? line.substring(1).strip() : line.strip();
    }

    private static int integer(Path csv, int line, String column, String value) {
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new SourceDataException(csv, "line " + line + ": " + column + " must be an integer, got '"
                    + value + "'");
        }
    }

    public Path dataset() {
        return dataset;
    }

    /** The bags, by patient id. */
    public List<Patient> patients() {
        return patients;
    }

    /**
     * Decides the split without writing anything: per label, max({@value #MIN_HELDOUT_PER_CLASS},
     * round(heldoutFraction · bags of that label)) random bags are held out; the rest are dealt to
     * {@code sites} sites by {@link DirichletSplitter} (α, label and bag-size tercile). Bags are listed in
     * patient order. The same arguments give the same split.
     */
    public Split split(int sites, double alpha, double heldoutFraction, long seed) {
        if (!(heldoutFraction > 0 && heldoutFraction < 1)) {
            throw new IllegalArgumentException("held-out fraction must be between 0 and 1 (exclusive), got "
                    + heldoutFraction);
        }
        if (sites < 1) {
            throw new IllegalArgumentException("sites must be at least 1, got " + sites);
        }
        Random rng = new Random(Seeds.derive(seed, 11));
        List<Patient> held = new ArrayList<>();
        for (int label = 0; label <= 1; label++) {
            List<Patient> ofLabel = new ArrayList<>();
            for (Patient p : patients) {
                if (p.label() == label) {
                    ofLabel.add(p);
                }
            }
            int want = Math.max(MIN_HELDOUT_PER_CLASS, (int) Math.round(heldoutFraction * ofLabel.size()));
            if (want >= ofLabel.size()) {
                throw new IllegalArgumentException("only " + ofLabel.size() + " bag(s) have label " + label
                        + "; cannot hold out " + want + " and still train on any");
            }
            Collections.shuffle(ofLabel, rng);
            held.addAll(ofLabel.subList(0, want));
        }
        List<Patient> train = new ArrayList<>(patients);
        train.removeAll(held);
        if (train.size() < DirichletSplitter.MIN_BAGS_PER_SITE * sites) {
            throw new IllegalArgumentException(train.size() + " training bags are left after holding out "
                    + held.size() + ", too few for " + sites + " sites of at least "
                    + DirichletSplitter.MIN_BAGS_PER_SITE + "; use fewer sites or a smaller held-out fraction");
        }
        int[] siteOf = new DirichletSplitter(sites, alpha, Seeds.derive(seed, 12)).assign(
                train.stream().mapToInt(Patient::label).toArray(), train.stream().mapToInt(Patient::size).toArray());
        List<List<String>> bySite = new ArrayList<>();
        for (int k = 0; k < sites; k++) {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < train.size(); i++) {
                if (siteOf[i] == k) {
                    ids.add(train.get(i).bagId());
                }
            }
            bySite.add(ids);
        }
        List<String> heldIds = held.stream().sorted(Comparator.comparingInt(Patient::patientId))
                .map(Patient::bagId).toList();
        return new Split(bySite, heldIds);
    }

    /**
     * Writes the split of {@link #split} as tile site folders {@code out/site-1..K} and {@code out/heldout}
     * ({@code bags.csv}, {@code tiles/<bag_id>/NNNN-<image>.png} linking to the patch file), plus
     * {@code heldout/}{@value #INSTANCE_LABELS} (isCancerous per tile, for scoring localisation only) and
     * {@code out/manifest.json}. Each site's {@code tiles/} is replaced whole. Load the sites with
     * {@code TileFormat(3, 27)}.
     */
    public Split writeSplit(Path out, int sites, double alpha, double heldoutFraction, long seed)
            throws IOException {
        Split split = split(sites, alpha, heldoutFraction, seed);
        Map<String, Patient> byId = new HashMap<>();
        patients.forEach(p -> byId.put(p.bagId(), p));
        Path patchDir = dataset.resolve(PATCH_DIR).toAbsolutePath().normalize();
        Linker linker = new Linker();
        List<Object> counts = new ArrayList<>();
        for (int k = 0; k < sites; k++) {
            String name = "site-" + (k + 1);
            List<Patient> bags = split.sites().get(k).stream().map(byId::get).toList();
            write(out.resolve(name), bags, patchDir, linker, false);
            counts.add(counts(name, bags));
        }
        List<Patient> held = split.heldout().stream().map(byId::get).toList();
        write(out.resolve(HELDOUT), held, patchDir, linker, true);

        Map<String, Object> m = TileSiteFiles.ordered(
                "generator", GENERATOR,
                "dataset", dataset.toAbsolutePath().normalize().toString(),
                "rule", "bag = patientID; positive iff any patch has isCancerous = 1",
                "seed", seed,
                "sites", sites,
                "alpha", alpha,
                "heldout_fraction", heldoutFraction,
                "tile_format", TileSiteFiles.ordered("channels", CHANNELS, "size", PATCH_SIZE),
                "tiles", linker.copied == 0 ? "symbolic links to " + patchDir
                        : linker.copied + " copies (this file system refused symbolic links); do not redistribute",
                "counts", counts,
                "heldout", counts(HELDOUT, held));
        byte[] manifest = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(m);
        TileSiteFiles.writeText(out.resolve(MANIFEST), new String(manifest, StandardCharsets.UTF_8) + "\n");
        return split;
    }

    /**
     * Writes all bags as one tile data set folder ({@code bags.csv}, {@code tiles/} linking to the patch files,
     * {@value #INSTANCE_LABELS}), for {@code fedmil data split} and k-fold benchmarks; its {@code tiles/} is
     * replaced whole.
     */
    public void writeAll(Path dir) throws IOException {
        write(dir, patients, dataset.resolve(PATCH_DIR).toAbsolutePath().normalize(), new Linker(), true);
    }

    private static Map<String, Object> counts(String name, List<Patient> bags) {
        int positives = 0;
        int instances = 0;
        int cancerous = 0;
        for (Patient p : bags) {
            positives += p.label();
            instances += p.size();
            cancerous += (int) p.patches().stream().filter(x -> x.cancerous() == 1).count();
        }
        return TileSiteFiles.ordered("name", name, "bags", bags.size(), "positives", positives, "instances",
                instances, "cancerous_instances", cancerous);
    }

    private static void write(Path siteDir, List<Patient> bags, Path patchDir, Linker linker, boolean instanceLabels)
            throws IOException {
        TileSiteFiles.replaceTilesFolder(siteDir);
        Path tiles = siteDir.resolve(BagDataset.TILES_DIR);
        StringBuilder labels = new StringBuilder("bag_id,tile,label\n");
        for (Patient p : bags) {
            Path folder = Files.createDirectories(tiles.resolve(p.bagId()));
            for (int i = 0; i < p.size(); i++) {
                Patch patch = p.patches().get(i);
                String tile = p.tileName(i);
                linker.link(patchDir.resolve(patch.imageName()), folder.resolve(tile));
                labels.append(p.bagId()).append(',').append(tile).append(',').append(patch.cancerous()).append('\n');
            }
        }
        if (instanceLabels) {
            TileSiteFiles.writeText(siteDir.resolve(INSTANCE_LABELS), labels.toString());
        }
        TileSiteFiles.writeIndex(siteDir, bags.stream().map(p -> new TileSiteFiles.Row(p.bagId(), p.label()))
                .toList());
    }

    /** Symbolic links, falling back to copies once the file system refuses a link. */
    private static final class Linker {
        private boolean linksWork = true;
        private int copied;

        void link(Path target, Path link) throws IOException {
            if (linksWork) {
                try {
                    Files.createSymbolicLink(link, target);
                    return;
                } catch (FileAlreadyExistsException e) {
                    throw e;
                } catch (UnsupportedOperationException | FileSystemException e) {
                    refused(e);
                }
            }
            Files.copy(target, link);
            copied++;
        }

        private void refused(Exception e) {
            linksWork = false;
            LOG.warn("cannot create symbolic links here ({}); copying the patch files instead: keep the output "
                    + "private, the data set must not be redistributed", e.toString());
        }
    }
}
