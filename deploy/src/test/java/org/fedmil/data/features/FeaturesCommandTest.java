package org.fedmil.data.features;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import javax.imageio.ImageIO;
import org.fedmil.cli.Fedmil;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fedmil data features}: tiles through a TorchScript encoder into feature bags, cached per bag. */
class FeaturesCommandTest {

    /** Made by common/mil/src/test/resources/encoders/make_encoders.py: 3-channel tiles of any size → 8 features. */
    private static final Path TINY = Path.of("../common/mil/src/test/resources/encoders/tiny-encoder.pt");
    private static final Path BAD_SHAPE = Path.of("../common/mil/src/test/resources/encoders/bad-shape-encoder.pt");

    @TempDir
    Path tmp;

    private Path tileSite() throws IOException {
        Path site = tmp.resolve("tiles-site");
        for (String bag : new String[]{"a", "b", "c"}) {
            Path folder = Files.createDirectories(site.resolve("tiles").resolve(bag));
            for (int t = 0; t < 3 + bag.charAt(0) - 'a'; t++) {
                BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
                for (int i = 0; i < 256; i++) {
                    img.setRGB(i % 16, i / 16, (i * 37 + t * 11 + bag.charAt(0)) * 0x010203 & 0xFFFFFF);
                }
                ImageIO.write(img, "png", folder.resolve(t + ".png").toFile());
            }
        }
        Files.writeString(site.resolve("bags.csv"), "bag_id,label\na,1\nb,0\nc,\n");
        return site;
    }

    private record Run(int exit, String out) {
    }

    private Run features(String... extra) {
        StringWriter text = new StringWriter();
        String[] base = {"data", "features", "--tile-size", "16", "--device", "cpu"};
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        int rc = Fedmil.commandLine().setOut(new PrintWriter(text)).setErr(new PrintWriter(text)).execute(args);
        return new Run(rc, text.toString());
    }

    @Test
    void tilesBecomeFeatureBagsAndASecondRunEncodesOnlyWhatChanged() throws IOException {
        Path site = tileSite();
        Path out = tmp.resolve("features");
        Path cache = tmp.resolve("cache");

        Run first = features("--tiles", site.toString(), "--encoder", TINY.toString(), "--out", out.toString(),
                "--cache", cache.toString());

        assertThat(first.exit()).as(first.out()).isZero();
        assertThat(first.out()).contains("wrote 3 bags (12 tiles, 8 features each)", "3 bags encoded (12 tiles",
                "0 from the cache", "0a2b14b04b7786528f578a1c64284f671c0df6224fa623fac8182d75ba7e380d");
        assertThat(Npy.read(out.resolve("bags/b.npy")).rows()).isEqualTo(4);
        assertThat(Npy.read(out.resolve("bags/b.npy")).cols()).isEqualTo(8);
        assertThat(Files.readString(out.resolve("bags.csv"))).isEqualTo("bag_id,label\na,1\nb,0\nc,\n");
        BagDataset loaded = BagDataset.load(out);
        assertThat(loaded.dim()).isEqualTo(8);
        assertThat(loaded.unlabeled()).hasSize(1);
        assertThat(Files.readString(out.resolve("features.json"))).contains("\"encoder_sha256\" : \"0a2b14b0");
        float[] before = Npy.read(out.resolve("bags/a.npy")).data();

        Path changed = site.resolve("tiles/b/0.png");
        BufferedImage img = ImageIO.read(changed.toFile());
        img.setRGB(0, 0, 0x00FF00);
        ImageIO.write(img, "png", changed.toFile());
        Files.setLastModifiedTime(changed, FileTime.fromMillis(Files.getLastModifiedTime(changed).toMillis() + 5000));
        Run second = features("--tiles", site.toString(), "--encoder", TINY.toString(), "--out", out.toString(),
                "--cache", cache.toString(), "--force");

        assertThat(second.exit()).as(second.out()).isZero();
        assertThat(second.out()).contains("1 bags encoded (4 tiles", "2 from the cache");
        assertThat(Npy.read(out.resolve("bags/a.npy")).data()).containsExactly(before);
    }

    @Test
    void anEncoderThatGivesNoRowPerTileStopsTheRunNamingIt() throws IOException {
        Run run = features("--tiles", tileSite().toString(), "--encoder", BAD_SHAPE.toString(), "--out",
                tmp.resolve("f").toString());
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.out()).contains("bad-shape-encoder.pt", "[tiles, features]");
        assertThat(tmp.resolve("f/bags.csv")).doesNotExist();
    }

    @Test
    void aFileThatIsNotAnEncoderIsRefused() throws IOException {
        Path fake = Files.writeString(tmp.resolve("resnet.pt"), "not TorchScript");
        Run run = features("--tiles", tileSite().toString(), "--encoder", fake.toString(), "--out",
                tmp.resolve("f").toString());
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.out()).contains("resnet.pt", "not a TorchScript module", "torch.jit.save");
    }
}
