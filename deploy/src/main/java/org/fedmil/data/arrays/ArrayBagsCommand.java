package org.fedmil.data.arrays;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

import org.fedmil.data.OutputFolder;
import org.fedmil.data.SourceDataException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fedmil data bags}: an image array → MNIST-bags as a tile site folder. */
@Command(name = "bags", mixinStandardHelpOptions = true, version = ArrayBags.GENERATOR,
        description = {"Draws MNIST-bags (Ilse et al. 2018) from an image array: images [N,H,W] or [N,H,W,C] "
                + "(uint8, or float in [0,1] or [0,255]) and class labels [N], from .npy files or arrays in an "
                + ".npz. A bag is positive iff it holds at least one image of --target-class. Writes one site "
                + "folder: DIR/bags.csv, DIR/tiles/<bag_id>/NN.png, DIR/" + ArrayBags.INSTANCE_LABELS + " and DIR/"
                + ArrayBags.MANIFEST + ".",
                "The same arrays, options and seed give the same bags. See docs/data-format.md."})
public final class ArrayBagsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--images", required = true, paramLabel = "FILE",
            description = "The images: a .npy file, or an .npz holding them (with --labels from the same .npz by "
                    + "default).")
    Path images;

    @Option(names = "--labels", paramLabel = "FILE",
            description = "The labels, a .npy or .npz (default: the --images .npz).")
    Path labels;

    @Option(names = "--images-array", paramLabel = "NAME", defaultValue = "images",
            description = "Name of the images array in an .npz (default: ${DEFAULT-VALUE}; Keras' mnist.npz: x_train).")
    String imagesArray;

    @Option(names = "--labels-array", paramLabel = "NAME", defaultValue = "labels",
            description = "Name of the labels array in an .npz (default: ${DEFAULT-VALUE}; Keras' mnist.npz: y_train).")
    String labelsArray;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output site folder.")
    Path out;

    @Option(names = "--target-class", required = true, paramLabel = "C",
            description = "The class whose presence makes a bag positive (Ilse et al.: 9).")
    int targetClass;

    @Option(names = "--bags", paramLabel = "N", defaultValue = "200", description = "Bags to draw (default: ${DEFAULT-VALUE}).")
    int bags;

    @Option(names = "--bag-size-mean", paramLabel = "M", defaultValue = "10",
            description = "Mean bag size (default: ${DEFAULT-VALUE}).")
    double mean;

    @Option(names = "--bag-size-std", paramLabel = "S", defaultValue = "2",
            description = "Standard deviation of the bag size; sizes are at least 1 (default: ${DEFAULT-VALUE}).")
    double std;

    @Option(names = "--balance", description = "Draw as many positive as negative bags (one more negative for an "
            + "odd count); otherwise the positive share follows the target class's frequency.")
    boolean balance;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--force", description = "Write into DIR even if it is not empty (its bags.csv and tiles/ are "
            + "replaced).")
    boolean force;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        if (!OutputFolder.usable(out, force, "bags", err)) {
            return 2;
        }
        ArrayBags data;
        ImageArray pool;
        try {
            ArrayBags.Config cfg = new ArrayBags.Config(bags, targetClass, mean, std, balance, seed);
            pool = ImageArray.read(images, imagesArray, Optional.ofNullable(labels), labelsArray);
            data = ArrayBags.generate(pool, cfg);
        } catch (SourceDataException | IllegalArgumentException e) {
            err.println("bags: " + e.getMessage());
            err.flush();
            return 2;
        }
        data.writeTo(out);
        Map<String, Object> s = data.stats();
        PrintWriter o = spec.commandLine().getOut();
        o.println("wrote " + s.get("bags") + " bags (" + s.get("positives") + " positive, " + s.get("instances")
                + " images of which " + s.get("target_instances") + " of class " + targetClass + ", "
                + s.get("min_bag_size") + "-" + s.get("max_bag_size") + " per bag) to " + out.toAbsolutePath()
                + "; load it with tile format channels " + pool.channels() + ", size "
                + Math.max(pool.height(), pool.width()));
        o.flush();
        return 0;
    }
}
