package org.fedmil.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.fedmil.site.config.SiteConfig;
import org.fedmil.site.model.LocalModelStore;

/**
 * A site's heap ceiling. A site learns its model from the coordinator only after it starts, but a site that ran before
 * keeps the last global model in its state folder ({@code global-model.fedmil}), and the next one is almost always of
 * the same size: the ceiling is then {@value JvmMemory#BASE_MIB} MiB + {@value #MODEL_COPIES} × that file, at most
 * half the host's memory. The agent holds the global model as it downloads it (decoded chunk by chunk, its file
 * written from the same bytes), the trained delta (uploaded chunk by chunk from its floats) and, when training for
 * real, the trained weights it takes the delta from: three copies, and a fourth for what is in flight between them.
 * A site without that file (its first start) gets the host's share ({@link JvmMemory#forHost}). Either way the
 * young generation is capped at {@value #YOUNG_MIB} MiB.
 */
final class SiteHeap {

    /** Model copies a site holds on its heap at once at most. */
    static final int MODEL_COPIES = 4;

    /**
     * The young generation's cap: a site's garbage is the download's and upload's chunks (1 MiB each), and a model's
     * tensors are too large for the young generation anyway, so the default third of the heap only fills with chunks
     * between collections: at 100M parameters that third was about a model's worth of each site's resident memory.
     */
    static final long YOUNG_MIB = 64;

    private SiteHeap() {
    }

    /** The plan for {@code fedmil site ... --config FILE ...}; the host's share without a kept model. */
    static JvmMemory.Plan plan(List<String> args, long hostMib) {
        int at = args.indexOf("--config");
        if (at < 0 || at + 1 >= args.size() || !Files.isRegularFile(Path.of(args.get(at + 1)))) {
            // --help, or a command line the site refuses with its own message
            return JvmMemory.forHost(hostMib);
        }
        Path kept = LocalModelStore.globalModelFile(SiteConfig.load(Path.of(args.get(at + 1))).stateDir());
        if (!Files.isRegularFile(kept)) {
            return JvmMemory.forHost(hostMib);
        }
        return forModelFile(kept, hostMib);
    }

    /** The ceiling for a site whose last global model is {@code modelFile}. */
    static JvmMemory.Plan forModelFile(Path modelFile, long hostMib) {
        long bytes;
        try {
            bytes = Files.size(modelFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the size of " + modelFile, e);
        }
        long modelMib = Math.max(1, (bytes + (1 << 20) - 1) >> 20);
        long heap = JvmMemory.BASE_MIB + MODEL_COPIES * modelMib;
        long cap = Math.max(JvmMemory.BASE_MIB, hostMib / 2);
        return new JvmMemory.Plan(Math.min(heap, cap), String.format(Locale.ROOT,
                "%d MiB + %d × the site's last global model (%d MiB, %s)", JvmMemory.BASE_MIB, MODEL_COPIES, modelMib,
                modelFile.getFileName()) + (heap > cap ? ", cut to half the host's memory" : ""), YOUNG_MIB);
    }
}
