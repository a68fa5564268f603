package org.fedmil.data.tiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.fedmil.data.SourceDataException;
import org.fedmil.mil.data.Bag;

/**
 * Which images make which bag, from a folder of class sub-folders or from a CSV of image → label (and patient).
 * Only names and labels are read here; no image is opened.
 */
public final class ImageInputs {

    /** Image file endings read, compared case-insensitively. */
    public static final List<String> EXTENSIONS = List.of(".png", ".jpg", ".jpeg", ".tif", ".tiff");

    private ImageInputs() {
    }

    /**
     * How label names map to 0/1: {@code positive} is 1; {@code negatives} are 0 (when empty: the one other name
     * there is). Without a positive name the labels must already be 0 and 1 (CSV input only).
     */
    public record Labels(Optional<String> positive, List<String> negatives) {

        public Labels {
            negatives = List.copyOf(negatives);
        }

        public static Labels zeroOne() {
            return new Labels(Optional.empty(), List.of());
        }

        public static Labels positive(String name, List<String> negatives) {
            return new Labels(Optional.of(name), negatives);
        }
    }

    /** Whether a file name is an input image: a known ending and not hidden. */
    public static boolean isImageName(String name) {
        return hasEnding(name, EXTENSIONS);
    }

    /** Whether a file name has one of {@code endings} (compared case-insensitively) and is not hidden. */
    public static boolean hasEnding(String name, List<String> endings) {
        String lower = name.toLowerCase(Locale.ROOT);
        return !name.startsWith(".") && endings.stream().anyMatch(e -> lower.endsWith(e) && lower.length() > e.length());
    }

    /**
     * One bag per image found under {@code dir/<class>/} (searched recursively, in path order); the class folder
     * named by {@code labels.positive()} is label 1, the negative ones 0.
     */
    public static List<BagPlan> fromFolder(Path dir, Labels labels) {
        return fromFolder(dir, labels, EXTENSIONS);
    }

    /** As {@link #fromFolder(Path, Labels)}, for files with one of {@code endings} (e.g. slides). */
    public static List<BagPlan> fromFolder(Path dir, Labels labels, List<String> endings) {
        if (!Files.isDirectory(dir)) {
            throw new SourceDataException(dir, "not found or not a folder; give a folder holding one sub-folder per "
                    + "class (e.g. benign/ and malignant/), or a CSV file of image,label rows");
        }
        List<String> classes = subfolders(dir);
        String positive = labels.positive().orElseThrow(() -> new SourceDataException(dir, "holds class folders "
                + classes + "; name the positive one with --positive (e.g. --positive " + (classes.isEmpty()
                ? "malignant" : classes.get(classes.size() - 1)) + ")"));
        if (!classes.contains(positive)) {
            throw new SourceDataException(dir, "has no class folder '" + positive + "' (--positive); its "
                    + "sub-folders are " + classes);
        }
        List<String> negatives = negatives(dir, positive, labels.negatives(), classes);
        List<BagPlan.Image> images = new ArrayList<>();
        List<Integer> imageLabels = new ArrayList<>();
        for (String c : classes) {
            int label = c.equals(positive) ? 1 : negatives.contains(c) ? 0 : -1;
            if (label < 0) {
                continue;
            }
            for (Path f : imagesUnder(dir.resolve(c), endings)) {
                images.add(new BagPlan.Image(f, dir.relativize(f).toString(), ""));
                imageLabels.add(label);
            }
        }
        if (images.isEmpty()) {
            throw new SourceDataException(dir, "its class folders hold no image (" + String.join(", ", endings)
                    + "); put the images in " + dir.resolve(positive) + " and the negative class folder");
        }
        return perImage(images, imageLabels);
    }

    private static List<String> negatives(Path dir, String positive, List<String> given, List<String> classes) {
        if (!given.isEmpty()) {
            for (String n : given) {
                if (!classes.contains(n) || n.equals(positive)) {
                    throw new SourceDataException(dir, "--negative '" + n + "' is not one of its class folders "
                            + "other than the positive one; its sub-folders are " + classes);
                }
            }
            return given;
        }
        List<String> others = classes.stream().filter(c -> !c.equals(positive)).toList();
        if (others.size() != 1) {
            throw new SourceDataException(dir, "has " + others.size() + " class folders besides '" + positive + "': "
                    + others + "; name the negative one(s) with --negative NAME (repeatable)");
        }
        return others;
    }

    private static List<String> subfolders(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).map(p -> p.getFileName().toString())
                    .filter(n -> !n.startsWith(".")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot list: " + e.getMessage(), e);
        }
    }

    private static List<Path> imagesUnder(Path dir, List<String> endings) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).filter(p -> hasEnding(p.getFileName().toString(), endings))
                    .filter(p -> !hidden(dir.relativize(p))).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot list: " + e.getMessage(), e);
        }
    }

    private static boolean hidden(Path relative) {
        for (Path part : relative) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    /** One bag per image; ids are file names, or relative paths where two file names would give the same id. */
    private static List<BagPlan> perImage(List<BagPlan.Image> images, List<Integer> labels) {
        Map<String, Integer> uses = new HashMap<>();
        for (BagPlan.Image im : images) {
            uses.merge(SafeIds.of(stem(im.file().getFileName().toString())), 1, Integer::sum);
        }
        Map<String, BagPlan.Image> byId = new LinkedHashMap<>();
        List<BagPlan> bags = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            BagPlan.Image im = images.get(i);
            String id = SafeIds.of(stem(im.file().getFileName().toString()));
            if (uses.get(id) > 1) {
                id = SafeIds.of(stem(im.shown()).replace('/', '_').replace('\\', '_'));
            }
            BagPlan.Image clash = byId.putIfAbsent(id, im);
            if (clash != null) {
                throw new SourceDataException(im.file(), "would get bag id '" + id + "', as " + clash.file()
                        + " does (bag ids keep only letters, digits, '.', '_' and '-'); rename one of the two");
            }
            bags.add(new BagPlan(id, labels.get(i), List.of(im)));
        }
        return bags;
    }

    private static String stem(String name) {
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    /**
     * Bags from a CSV with a header line: column {@code imageColumn} holds image paths (relative ones are
     * resolved against the CSV's folder), {@code labelColumn} the labels. With a {@code patientColumn}, one bag
     * per patient (bag id = the patient id, made safe) holding the tiles of all the patient's images, in CSV
     * order; otherwise one bag per image.
     */
    public static List<BagPlan> fromCsv(Path csv, String imageColumn, String labelColumn,
                                        Optional<String> patientColumn, Labels labels) {
        List<String> lines = readLines(csv);
        List<String> header = CsvLine.split(lines.get(0).replace("\uFEFF", ""));
        int img = column(csv, header, imageColumn, "--image-column");
        int lab = column(csv, header, labelColumn, "--label-column");
        int pat = patientColumn.map(p -> column(csv, header, p, "--patient-column")).orElse(-1);
        List<String[]> rows = new ArrayList<>();
        List<Integer> rowNumbers = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            List<String> f = CsvLine.split(lines.get(i));
            if (f.size() != header.size()) {
                throw new SourceDataException(csv, "row " + (i + 1) + ": has " + f.size() + " fields but the "
                        + "header has " + header.size() + "; quote fields that contain commas");
            }
            rows.add(new String[] {f.get(img), f.get(lab), pat < 0 ? "" : f.get(pat)});
            rowNumbers.add(i + 1);
        }
        if (rows.isEmpty()) {
            throw new SourceDataException(csv, "lists no images; add one row per image below the header");
        }
        LabelMap map = LabelMap.of(csv, labels, rows.stream().map(r -> r[1]).toList(), rowNumbers);
        Path base = csv.toAbsolutePath().getParent();
        List<BagPlan.Image> images = new ArrayList<>();
        List<Integer> imageLabels = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            String where = csv.getFileName() + " row " + rowNumbers.get(i);
            if (rows.get(i)[0].isEmpty()) {
                throw new SourceDataException(csv, "row " + rowNumbers.get(i) + ": the " + imageColumn + " field is "
                        + "empty; give the image's path or remove the row");
            }
            images.add(new BagPlan.Image(base.resolve(rows.get(i)[0]).normalize(), rows.get(i)[0], where));
            imageLabels.add(map.label(rows.get(i)[1], rowNumbers.get(i)));
        }
        if (pat < 0) {
            return perImage(images, imageLabels);
        }
        return perPatient(csv, images, imageLabels, rows.stream().map(r -> r[2]).toList(), rowNumbers);
    }

    private static List<BagPlan> perPatient(Path csv, List<BagPlan.Image> images, List<Integer> labels,
                                            List<String> patients, List<Integer> rowNumbers) {
        Map<String, List<Integer>> members = new LinkedHashMap<>();
        Map<String, String> patientOfId = new HashMap<>();
        for (int i = 0; i < images.size(); i++) {
            String patient = patients.get(i);
            if (patient.isEmpty()) {
                throw new SourceDataException(csv, "row " + rowNumbers.get(i) + ": the patient field is empty; "
                        + "every image needs its patient id when bags are made per patient");
            }
            String id = SafeIds.of(patient);
            String other = patientOfId.putIfAbsent(id, patient);
            if (other != null && !other.equals(patient)) {
                throw new SourceDataException(csv, "row " + rowNumbers.get(i) + ": patients '" + other + "' and '"
                        + patient + "' both become bag id '" + id + "' (bag ids keep only letters, digits, '.', "
                        + "'_' and '-'); rename one of them");
            }
            members.computeIfAbsent(id, k -> new ArrayList<>()).add(i);
        }
        List<BagPlan> bags = new ArrayList<>();
        for (Map.Entry<String, List<Integer>> e : members.entrySet()) {
            int first = e.getValue().get(0);
            for (int i : e.getValue()) {
                if (!labels.get(i).equals(labels.get(first))) {
                    throw new SourceDataException(csv, "rows " + rowNumbers.get(first) + " and " + rowNumbers.get(i)
                            + ": patient '" + patients.get(i) + "' has images labelled " + labels.get(first)
                            + " and " + labels.get(i) + "; a bag (patient) has one label: fix the labels, or drop "
                            + "--patient-column to make one bag per image");
                }
            }
            bags.add(new BagPlan(e.getKey(), labels.get(first), e.getValue().stream().map(images::get).toList()));
        }
        return bags;
    }

    private static int column(Path csv, List<String> header, String name, String option) {
        int i = header.indexOf(name);
        if (i < 0) {
            throw new SourceDataException(csv, "line 1: the header has no column '" + name + "' (" + option
                    + "); its columns are " + header);
        }
        return i;
    }

    private static List<String> readLines(Path csv) {
        try {
            List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
            if (lines.isEmpty()) {
                throw new SourceDataException(csv, "is empty; expected a header line (e.g. 'image,label') and one "
                        + "row per image");
            }
            return lines;
        } catch (NoSuchFileException e) {
            throw new SourceDataException(csv, "not found; give a CSV of image,label rows or a folder of class "
                    + "sub-folders", e);
        } catch (CharacterCodingException e) {
            throw new SourceDataException(csv, "is not UTF-8 text; save it as UTF-8 CSV", e);
        } catch (IOException e) {
            throw new UncheckedIOException(csv + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** The label names of a CSV mapped to 0/1. */
    private record LabelMap(Path csv, Optional<String> positive, List<String> negatives) {

        static LabelMap of(Path csv, Labels labels, List<String> values, List<Integer> rows) {
            if (labels.positive().isEmpty() || !labels.negatives().isEmpty()) {
                return new LabelMap(csv, labels.positive(), labels.negatives());
            }
            String positive = labels.positive().get();
            TreeSet<String> others = new TreeSet<>(values);
            others.remove(positive);
            others.remove(""); // not labelled yet
            if (others.size() > 1) {
                throw new SourceDataException(csv, "has labels " + others + " besides the positive '" + positive
                        + "'; name the negative one(s) with --negative NAME (repeatable)");
            }
            if (!values.contains(positive)) {
                throw new SourceDataException(csv, "no row has the positive label '" + positive + "' (--positive); "
                        + "its labels are " + others);
            }
            return new LabelMap(csv, labels.positive(), List.copyOf(others));
        }

        int label(String value, int row) {
            if (value.isEmpty()) {
                return Bag.UNLABELED; // a case nobody has labelled yet: scored by 'fedmil predict', ranked by suggest
            }
            if (positive.isEmpty()) {
                if (value.equals("0") || value.equals("1")) {
                    return Integer.parseInt(value);
                }
                throw new SourceDataException(csv, "row " + row + ": label '" + value + "' is not 0 or 1; use 0/1 "
                        + "labels, or name the positive class with --positive NAME");
            }
            if (value.equals(positive.get())) {
                return 1;
            }
            if (negatives.contains(value)) {
                return 0;
            }
            throw new SourceDataException(csv, "row " + row + ": label '" + value + "' is neither the positive '"
                    + positive.get() + "' nor a negative " + negatives + "; fix the row or add the label with "
                    + "--negative");
        }
    }
}
