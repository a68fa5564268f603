package org.fedmil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code train-local --encoder … --encoder-fine-tune last_block}: a TorchScript encoder's last block trains too. */
class TrainLocalFineTuningTest {

    private static final Path ENCODER = Path.of("../common/mil/src/test/resources/encoders/two-block-encoder.pt");

    @TempDir
    Path tmp;

    /** Two tile folders of 6 bags of 3 random 16×16 RGB tiles; a positive bag has one tile with a red square. */
    @BeforeEach
    void tiles() throws Exception {
        Random rng = new Random(5);
        for (String site : new String[] {"site", "heldout"}) {
            StringBuilder csv = new StringBuilder("bag_id,label\n");
            for (int b = 0; b < 6; b++) {
                Path bag = Files.createDirectories(tmp.resolve(site).resolve("tiles/bag" + b));
                for (int t = 0; t < 3; t++) {
                    BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
                    for (int y = 0; y < 16; y++) {
                        for (int x = 0; x < 16; x++) {
                            boolean red = b % 2 == 1 && t == 0 && x > 3 && x < 12 && y > 3 && y < 12;
                            img.setRGB(x, y, red ? 0xff0000 : rng.nextInt(0x1000000));
                        }
                    }
                    ImageIO.write(img, "png", bag.resolve("t" + t + ".png").toFile());
                }
                csv.append("bag").append(b).append(',').append(b % 2).append('\n');
            }
            Files.writeString(tmp.resolve(site).resolve("bags.csv"), csv);
        }
    }

    private CliRun run(String... extra) {
        String[] base = {"train-local", "--data", tmp.resolve("site").toString(), "--heldout",
                tmp.resolve("heldout").toString(), "--tile-size", "16", "--channels", "3", "--epochs", "1",
                "--validation-fraction", "0"};
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return CliRun.of(args);
    }

    @Test
    void theLastBlockTrainsWithTheHeadOnTheTiles() {
        CliRun r = run("--encoder", ENCODER.toString(), "--encoder-fine-tune", "last_block");

        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.out()).contains("fine-tuning block 'block.' (2 parameter tensors, 296 values) of encoder",
                "8 features per tile", "its other 2 parameter tensors stay frozen",
                "training attention/mlp(8)", "on 6 bags").containsPattern("held-out .* \\(6 bags\\): AUC");
    }

    @Test
    void aPrefixThatMatchesNoParameterIsOneLineNamingTheFileTheOptionAndTheBlocks() {
        CliRun r = run("--encoder", ENCODER.toString(), "--encoder-fine-tune", "last_block",
                "--encoder-trainable-prefix", "layer4.");

        assertThat(r.rc()).isEqualTo(2);
        assertThat(r.err()).contains("two-block-encoder.pt", "encoder_trainable_prefix 'layer4.' matches none",
                "[stem., block.]");
    }

    @Test
    void encoderOptionsThatDoNotFitTogetherAreRefusedSayingWhatToGive() {
        CliRun noFile = run("--encoder-fine-tune", "last_block");
        assertThat(noFile.rc()).isEqualTo(2);
        assertThat(noFile.err()).contains("--encoder-fine-tune last_block needs --encoder FILE");

        CliRun frozen = run("--encoder", ENCODER.toString());
        assertThat(frozen.rc()).isEqualTo(2);
        assertThat(frozen.err()).contains("'fedmil data features'", "--encoder-fine-tune last_block");

        CliRun badMode = run("--encoder", ENCODER.toString(), "--encoder-fine-tune", "everything");
        assertThat(badMode.rc()).isEqualTo(2);
        assertThat(badMode.err()).contains("encoder_fine_tune must be none", "'everything'");
    }
}
