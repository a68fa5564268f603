package scratch;

import org.fedmil.mil.data.Bag;
import org.fedmil.mil.model.*;
import org.fedmil.mil.train.*;
import org.junit.jupiter.api.Test;
import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.*;
import java.util.*;

class CrcScratchTest {
    static Map<Integer, List<String[]>> read() throws Exception {
        Path root = Path.of("/work/shared/datasets/crc-nuclei");
        Map<Integer, List<String[]>> bags = new TreeMap<>();
        for (String f : List.of("data_labels_mainData.csv", "data_labels_extraData.csv")) {
            List<String> lines = Files.readAllLines(root.resolve(f));
            for (String l : lines.subList(1, lines.size())) {
                String[] c = l.split(",");
                bags.computeIfAbsent(Integer.parseInt(c[1]), k -> new ArrayList<>()).add(new String[] {c[2], c[c.length - 1]});
            }
        }
        return bags;
    }
    static Bag load(int id, List<String[]> rows) throws Exception {
        Path root = Path.of("/work/shared/datasets/crc-nuclei/patch_images");
        int n = rows.size();
        float[] f = new float[n * 3 * 27 * 27];
        int label = 0;
        for (int i = 0; i < n; i++) {
            BufferedImage img = ImageIO.read(root.resolve(rows.get(i)[0]).toFile());
            for (int y = 0; y < 27; y++) for (int x = 0; x < 27; x++) {
                int rgb = img.getRGB(x, y);
                f[i * 2187 + 0 * 729 + y * 27 + x] = ((rgb >> 16) & 255) / 255f;
                f[i * 2187 + 1 * 729 + y * 27 + x] = ((rgb >> 8) & 255) / 255f;
                f[i * 2187 + 2 * 729 + y * 27 + x] = (rgb & 255) / 255f;
            }
            if (rows.get(i)[1].equals("1")) label = 1;
        }
        return new Bag("p" + id, label, n, 2187, f);
    }
    @Test
    void run() throws Exception {
        Map<Integer, List<String[]>> raw = read();
        List<Bag> all = new ArrayList<>();
        for (var e : raw.entrySet()) all.add(load(e.getKey(), e.getValue()));
        Collections.shuffle(all, new Random(Long.getLong("split", 1)));
        List<Bag> test = new ArrayList<>(), train = new ArrayList<>();
        int tp = 0, tn = 0;
        for (Bag b : all) {
            if (b.label() == 1 && tp < 13) { test.add(b); tp++; }
            else if (b.label() == 0 && tn < 12) { test.add(b); tn++; }
            else train.add(b);
        }
        String arch = System.getProperty("arch", "attention");
        double lr = Double.parseDouble(System.getProperty("lr", "1e-3"));
        int epochs = Integer.getInteger("epochs", 15);
        boolean aug = Boolean.getBoolean("aug");
        BagAugmentation a = !aug ? BagAugmentation.NONE : (bag, rng) -> {
            float[] x = bag.features().clone();
            for (int i = 0; i < bag.instances(); i++) {
                int t = rng.nextInt(8);
                float[] src = Arrays.copyOfRange(bag.features(), i * 2187, (i + 1) * 2187);
                for (int c = 0; c < 3; c++) for (int y = 0; y < 27; y++) for (int xx = 0; xx < 27; xx++) {
                    int sy = y, sx = xx;
                    if ((t & 1) != 0) sx = 26 - sx;
                    if ((t & 2) != 0) sy = 26 - sy;
                    if ((t & 4) != 0) { int tmp = sx; sx = sy; sy = tmp; }
                    x[i * 2187 + c * 729 + y * 27 + xx] = src[c * 729 + sy * 27 + sx];
                }
            }
            return new Bag(bag.id(), bag.label(), bag.instances(), bag.dim(), x);
        };
        System.out.println("train " + train.size() + " test " + test.size());
        try (MilModel m = MilModel.create(ModelSpec.cnn(Architecture.fromConfigName(arch), 3, 27, 64, 32), 42)) {
            long[] c = {0, 0};
            for (Bag b : train) c[b.label()]++;
            BagLoss loss = LossConfig.DEFAULT.forSite(new org.fedmil.mil.data.LabelCounts(c[0], c[1]));
            System.out.printf("epoch 0 auc %.4f%n", m.evaluate(test).auc());
            int[] lab = new int[test.size()]; float[] sz = new float[test.size()];
            int[] labTr = new int[train.size()]; float[] szTr = new float[train.size()];
            for (int i = 0; i < test.size(); i++) { lab[i] = test.get(i).label(); sz[i] = test.get(i).instances() / 1000f; }
            for (int i = 0; i < train.size(); i++) { labTr[i] = train.get(i).label(); szTr[i] = train.get(i).instances() / 1000f; }
            System.out.printf("bag size auc test %.4f train %.4f%n", org.fedmil.mil.eval.BinaryMetrics.of(lab, sz).auc(), org.fedmil.mil.eval.BinaryMetrics.of(labTr, szTr).auc());
            for (int e = 1; e <= epochs; e++) {
                long t = System.nanoTime();
                TrainingResult r = new LocalTrainer().train(m, train, new TrainingOptions(1, lr, 1e-4, e, loss, a));
                System.out.printf("%s epoch %d loss %.4f test auc %.4f (%.1fs)%n", arch, e, r.meanLoss(), m.evaluate(test).auc(), (System.nanoTime() - t) / 1e9);
            }
        }
    }
}
