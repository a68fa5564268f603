package org.fedmil.data.features;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.fedmil.data.OutputFolder;
import org.fedmil.mil.data.BagDataException;
import org.fedmil.mil.data.TileFormat;
import org.fedmil.mil.encoder.EncoderException;
import org.fedmil.mil.encoder.FeatureExtraction;
import org.fedmil.mil.encoder.TileNormalisation;
import org.fedmil.mil.encoder.TorchScriptEncoder;
import org.fedmil.mil.model.Devices;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fedmil data features}: a tile site → a feature site, through a frozen pretrained TorchScript encoder. */
@Command(name = "features", mixinStandardHelpOptions = true,
        description = {"Runs a frozen pretrained encoder (a TorchScript file: an ImageNet ResNet, a pathology "
                + "foundation model, ...) over every tile of a tile site and writes a feature site: DIR/bags.csv, "
                + "DIR/bags/<bag_id>.npy (a row of features per tile) and DIR/" + FeatureExtraction.MANIFEST
                + " (the encoder's SHA-256, which every site of a federation must share).",
                "Features are cached per bag under --cache, keyed by the encoder's SHA-256 and the bag's tiles, so "
                        + "a second run (or a new federation with the same encoder) encodes only bags whose tiles "
                        + "changed. The federation then trains its MIL head on the features (encoder mlp)."})
public final class FeaturesCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--tiles", required = true, paramLabel = "DIR", description = "A tile site (bags.csv + tiles/).")
    Path tiles;

    @Option(names = "--encoder", required = true, paramLabel = "FILE", description = "The TorchScript encoder "
            + "(torch.jit.save); the consortium names its SHA-256.")
    Path encoder;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output feature site folder.")
    Path out;

    @Option(names = "--tile-size", required = true, paramLabel = "PX", description = "Side the tiles are read at "
            + "(the encoder's input size, e.g. 224).")
    int tileSize;

    @Option(names = "--channels", defaultValue = "3", paramLabel = "C",
            description = "Tile channels read: 3 (RGB) or 1 (grey) (default: ${DEFAULT-VALUE}).")
    int channels;

    @Option(names = "--normalise", defaultValue = "imagenet", paramLabel = "HOW", description = "imagenet (ImageNet "
            + "mean/std per channel, grey repeated to RGB: what ImageNet encoders expect) or none (default: "
            + "${DEFAULT-VALUE}).")
    String normalise;

    @Option(names = "--cache", paramLabel = "DIR", description = "Feature cache (default: DIR/feature-cache).")
    Path cache;

    @Option(names = "--batch", defaultValue = "64", paramLabel = "N",
            description = "Tiles per encoder call (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--device", defaultValue = "auto", description = "auto (a GPU if DJL finds one), cpu or gpu "
            + "(default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--force", description = "Write into DIR even if it is not empty (bags.csv and bags/ are "
            + "replaced; the cache is kept).")
    boolean force;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        if (!OutputFolder.usable(out, force, "features", err)) {
            return 2;
        }
        FeatureExtraction.Report r;
        long encoded;
        try (TorchScriptEncoder e = TorchScriptEncoder.load(encoder, Devices.choose(device))) {
            FeatureExtraction run = new FeatureExtraction(e, TileNormalisation.parse(normalise),
                    cache != null ? cache : out.resolve("feature-cache"), batch);
            r = run.run(tiles, new TileFormat(channels, tileSize), out);
            encoded = run.encodedTiles();
            PrintWriter o = spec.commandLine().getOut();
            String rate = encoded == 0 ? "" : String.format(Locale.ROOT, ", %.1f tiles/s", r.tilesPerSecond(encoded));
            o.printf(Locale.ROOT, "wrote %d bags (%d tiles, %d features each) to %s: %d bags encoded (%d tiles%s), "
                            + "%d from the cache; encoder sha256 %s%n", r.bags(), r.tiles(), r.features(),
                    out.toAbsolutePath(), r.encoded(), encoded, rate, r.cached(), e.sha256());
            o.flush();
        } catch (EncoderException | BagDataException | IllegalArgumentException e) {
            err.println("features: " + e.getMessage());
            err.flush();
            return 2;
        }
        return 0;
    }
}
