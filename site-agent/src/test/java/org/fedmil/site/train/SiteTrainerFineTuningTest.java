package org.fedmil.site.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Random;
import javax.imageio.ImageIO;
import org.fedmil.mil.data.TileFormat;
import org.fedmil.mil.encoder.EncoderException;
import org.fedmil.mil.encoder.FineTunedBlock;
import org.fedmil.mil.encoder.TileNormalisation;
import org.fedmil.mil.encoder.TorchScriptEncoder;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.TrainingOptions;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The site trainer with a fine-tuned encoder block: what it checks when the block is named, and what it sends. */
class SiteTrainerFineTuningTest {

    private static final Path ENCODER = Path.of("../common/mil/src/test/resources/encoders/two-block-encoder.pt");
    private static final ModelSpec HEAD = new ModelSpec(Architecture.ATTENTION, 8, 8, 4);
    private static final TileFormat TILES = new TileFormat(3, 16);

    @TempDir
    Path dir;

    private Path tiles() throws Exception {
        Path site = dir.resolve("site");
        Random rng = new Random(3);
        StringBuilder csv = new StringBuilder("bag_id,label\n");
        for (int b = 0; b < 4; b++) {
            Path bag = Files.createDirectories(site.resolve("tiles/bag" + b));
            for (int t = 0; t < 2; t++) {
                BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < 16; y++) {
                    for (int x = 0; x < 16; x++) {
                        img.setRGB(x, y, b % 2 == 1 && t == 0 && x > 4 && y > 4 ? 0xff0000 : rng.nextInt(0x1000000));
                    }
                }
                ImageIO.write(img, "png", bag.resolve("t" + t + ".png").toFile());
            }
            csv.append("bag").append(b).append(',').append(b % 2).append('\n');
        }
        Files.writeString(site.resolve("bags.csv"), csv);
        return site;
    }

    private static FineTunedBlock block(Path encoder, String prefix) {
        return new FineTunedBlock(TorchScriptEncoder.sha256(encoder), prefix, TILES, TileNormalisation.IMAGENET);
    }

    @Test
    void theDeltaCarriesTheBlocksTensorsBesideTheHeadsAndBothMove() throws Exception {
        FineTunedBlock block = block(ENCODER, "block.");
        TensorSet global;
        try (MilModel m = block.model(HEAD, ENCODER, Device.cpu(), 7)) {
            global = m.weights();
        }
        try (SiteTrainer trainer = new SiteTrainer(Device.cpu(), new SiteData(tiles()), ENCODER)) {
            trainer.useEncoderBlock(Optional.of(block));
            SiteTrainer.LocalUpdate u = trainer.train(HEAD, global, new TrainingOptions(1, 0.05, 0, 1));
            assertThat(u.trainingBags()).isEqualTo(4);
            assertThat(u.delta().specs()).isEqualTo(global.specs());
            for (String name : new String[] {MilModel.BACKBONE_PREFIX + "block.0.weight", "classifier.weight"}) {
                NamedTensor d = u.delta().get(name);
                double norm = 0;
                for (float v : d.values()) {
                    norm += v * v;
                }
                assertThat(norm).as("squared norm of the delta of " + name).isGreaterThan(0);
            }
            assertThat(u.delta().specs().stream().map(s -> s.name()))
                    .noneMatch(n -> n.startsWith(MilModel.BACKBONE_PREFIX + "stem."));
        }
    }

    @Test
    void aSiteThatCannotTrainTheBlockIsToldWhatToChangeWhenTheBlockIsNamed() throws Exception {
        Path site = tiles();
        try (SiteTrainer none = new SiteTrainer(Device.cpu(), new SiteData(site))) {
            assertThatThrownBy(() -> none.useEncoderBlock(Optional.of(block(ENCODER, "block."))))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("no encoder_file");
        }
        try (SiteTrainer wrongPrefix = new SiteTrainer(Device.cpu(), new SiteData(site), ENCODER)) {
            assertThatThrownBy(() -> wrongPrefix.useEncoderBlock(Optional.of(block(ENCODER, "layer4."))))
                    .isInstanceOf(EncoderException.class).hasMessageContaining("'layer4.' matches none")
                    .hasMessageContaining("two-block-encoder.pt");
        }
        Path notTorchScript = Files.writeString(dir.resolve("encoder.pt"), "not TorchScript");
        try (SiteTrainer garbage = new SiteTrainer(Device.cpu(), new SiteData(site), notTorchScript)) {
            assertThatThrownBy(() -> garbage.useEncoderBlock(Optional.of(block(notTorchScript, "block."))))
                    .isInstanceOf(EncoderException.class).hasMessageContaining("is not a TorchScript module")
                    .hasMessageContaining(notTorchScript.toString());
        }
        try (SiteTrainer other = new SiteTrainer(Device.cpu(), new SiteData(site), ENCODER)) {
            FineTunedBlock elsewhere = block(notTorchScript, "block.");
            assertThatThrownBy(() -> other.useEncoderBlock(Optional.of(elsewhere)))
                    .isInstanceOf(EncoderException.class).hasMessageContaining(elsewhere.encoderSha256())
                    .hasMessageContaining(TorchScriptEncoder.sha256(ENCODER));
        }
    }
}
