package org.fedmil.bench.peers;

import java.util.List;
import org.fedmil.cli.JvmMemory;
import org.fedmil.mil.model.ModelSize;

/**
 * The FedMIL processes' JVM memory options when none are given: what the launchers give them
 * ({@link JvmMemory}): the coordinator's heap sized from the model, a site's from the host.
 */
final class JvmSizing {

    private JvmSizing() {
    }

    static List<String> coordinator(ModelSize size) {
        return JvmMemory.forModel(size, hostMib()).options();
    }

    /** The environment the launchers give the coordinator: two malloc arenas (docs/operator-guide.md, Memory). */
    static java.util.Map<String, String> coordinatorEnv() {
        return java.util.Map.of("MALLOC_ARENA_MAX", "2");
    }

    static List<String> site() {
        return JvmMemory.forHost(hostMib()).options();
    }

    private static long hostMib() {
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean();
        return os.getTotalMemorySize() >> 20;
    }
}
