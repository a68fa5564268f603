package org.fedmil.bench.peers;

import java.util.List;
import org.fedmil.mil.model.ModelSize;

/**
 * The FedMIL processes' JVM options when none are given: a heap bounded by the model's size rather than the
 * launcher's fixed 2 GiB, which a JVM otherwise grows into. A round holds a few copies of the model on the heap at
 * once (the global model, a delta or the running sum, encoded bytes), so {@value #MODEL_COPIES} copies plus
 * {@value #BASE_MIB} MiB for everything else.
 */
final class JvmSizing {

    static final int MODEL_COPIES = 6;
    static final int BASE_MIB = 192;

    private JvmSizing() {
    }

    static List<String> options(ModelSize size) {
        long mib = BASE_MIB + MODEL_COPIES * Math.max(1, size.bytes() >> 20);
        return List.of("-Xmx" + mib + "m");
    }
}
