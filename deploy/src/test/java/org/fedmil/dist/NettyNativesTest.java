package org.fedmil.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Locale;
import org.fedmil.tls.MutualTls;
import org.junit.jupiter.api.Test;

/**
 * The distribution's class path (this module's runtime dependencies) carries Netty's native TLS and transport for
 * Linux x86-64, and they load: if a dependency change dropped one, gRPC would fall back to the JDK's TLS or NIO
 * without a word and move fewer bytes per CPU-second (docs/benchmarks.md, transport).
 */
class NettyNativesTest {

    @Test
    void onLinuxX8664TheDistributionRunsGrpcOverBoringSslAndEpoll() {
        assumeTrue(System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux")
                        && System.getProperty("os.arch").equals("amd64"),
                "the native jars in the distribution are built for Linux x86-64; this host is "
                        + System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        assertThat(MutualTls.nettyNatives()).isEqualTo("BoringSSL, epoll");
    }
}
