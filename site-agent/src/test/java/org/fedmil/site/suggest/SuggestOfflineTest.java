package org.fedmil.site.suggest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.fedmil.mil.active.BagUncertainty;
import org.fedmil.mil.active.Uncertainty;
import org.fedmil.mil.active.UncertaintyRanking;
import org.fedmil.mil.eval.TestTimeAugmentation;
import org.fedmil.site.cli.SuggestCommand;
import org.junit.jupiter.api.Test;

/**
 * {@code fedmil site suggest} must never send anything: like explain's, its classes do not even refer to a network
 * API (their class files' constant pools name no coordinator client, gRPC, socket, URL or HTTP class).
 */
class SuggestOfflineTest {

    private static final List<Class<?>> SUGGEST = List.of(SuggestCommand.class, SuggestionFile.class,
            UncertaintyRanking.class, BagUncertainty.class, Uncertainty.class, TestTimeAugmentation.class);

    private static final List<String> NETWORK = List.of("org/fedmil/site/agent/CoordinatorClient",
            "org/fedmil/site/agent/SiteAgent", "io/grpc/", "java/net/Socket", "java/net/URL", "java/net/URI",
            "java/net/http/", "java/nio/channels/SocketChannel", "javax/net/");

    @Test
    void suggestClassesReferToNoNetworkApi() throws IOException {
        for (Class<?> c : SUGGEST) {
            String constants = constantsOf(c);
            for (String api : NETWORK) {
                assertThat(constants).as("%s refers to %s", c.getSimpleName(), api).doesNotContain(api);
            }
        }
        // the scan does see such references where they exist
        assertThat(constantsOf(org.fedmil.site.agent.SiteAgent.class)).contains("io/grpc/");
    }

    private static String constantsOf(Class<?> c) throws IOException {
        String classFile = c.getName().substring(c.getPackageName().length() + 1) + ".class";
        try (InputStream in = c.getResourceAsStream(classFile)) {
            assertThat(in).as(classFile).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }
}
