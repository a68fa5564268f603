package org.fedmil.site.explain;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.fedmil.site.cli.ExplainCommand;
import org.junit.jupiter.api.Test;

/**
 * Explain must never send anything. Its own classes do not even refer to a network API: the class files'
 * constant pools name no coordinator client, gRPC, socket, URL or HTTP class. (What they call, BagDataset,
 * ModelFile and DJL with ai.djl.offline=true, reads local files only.)
 */
class OfflineTest {

    private static final List<Class<?>> EXPLAIN = List.of(ExplainCommand.class, Explainer.class,
            ExplanationFiles.class, ExplanationPage.class, ExplanationPage.Context.class, TileDataUris.class,
            Html.class, BagSelection.class, InstanceNames.class, InstanceNames.Instance.class,
            BagExplanation.class, InstanceExplanation.class);

    private static final List<String> NETWORK = List.of("org/fedmil/site/agent/CoordinatorClient",
            "org/fedmil/site/agent/SiteAgent", "io/grpc/", "java/net/Socket", "java/net/URL", "java/net/URI",
            "java/net/http/", "java/nio/channels/SocketChannel", "javax/net/");

    @Test
    void explainClassesReferToNoNetworkApi() throws IOException {
        for (Class<?> c : EXPLAIN) {
            String constants = constantsOf(c);
            for (String api : NETWORK) {
                assertThat(constants).as("%s refers to %s", c.getSimpleName(), api).doesNotContain(api);
            }
        }
    }

    @Test
    void theScanSeesNetworkReferencesWhereThereAreSome() throws IOException {
        assertThat(constantsOf(org.fedmil.site.agent.SiteAgent.class))
                .contains("org/fedmil/site/agent/CoordinatorClient").contains("io/grpc/");
    }

    private static String constantsOf(Class<?> c) throws IOException {
        String classFile = c.getName().substring(c.getPackageName().length() + 1) + ".class";
        try (InputStream in = c.getResourceAsStream(classFile)) {
            assertThat(in).as(classFile).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }
}
