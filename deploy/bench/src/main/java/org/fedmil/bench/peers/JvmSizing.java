package org.fedmil.bench.peers;

import java.util.List;
import org.fedmil.mil.model.ModelSize;

/** The FedMIL processes' JVM options when none are given: the heap ceiling sized from the model. */
final class JvmSizing {

    private JvmSizing() {
    }

    static List<String> options(ModelSize size) {
        return List.of("-Xmx" + size.suggestedHeapMib() + "m");
    }
}
