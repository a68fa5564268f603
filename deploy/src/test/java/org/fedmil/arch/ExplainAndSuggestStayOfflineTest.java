package org.fedmil.arch;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.assignableTo;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.fedmil.arch.ProductClasses.ALL;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.lang.ArchRule;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URL;
import java.net.URLConnection;
import java.nio.channels.SocketChannel;
import org.junit.jupiter.api.Test;

/**
 * `fedmil site explain`, `fedmil site suggest` and `fedmil predict` run where the patient data is and promise never
 * to open a network connection: neither they (nor the slide reading predict's heatmaps use) nor anything of FedMIL's
 * they call, however indirectly, may touch a socket, a URL, TLS, gRPC, Netty, the site's coordinator client or the
 * wire protocol.
 */
class ExplainAndSuggestStayOfflineTest {

    static final DescribedPredicate<JavaClass> NETWORK = assignableTo(Socket.class)
            .or(assignableTo(ServerSocket.class))
            .or(assignableTo(URL.class))
            .or(assignableTo(URLConnection.class))
            .or(assignableTo(HttpURLConnection.class))
            .or(assignableTo(SocketChannel.class))
            .or(resideInAnyPackage("java.net.http..", "javax.net..", "io.grpc..", "io.netty..",
                    "org.fedmil.site.agent..", "org.fedmil.protocol..", "org.fedmil.proto.."))
            .as("network classes (sockets, URLs, TLS, gRPC, Netty, the coordinator client, the protocol)");

    static final ArchRule EXPLAIN_AND_SUGGEST_STAY_OFFLINE = noClasses().that()
            .resideInAnyPackage("org.fedmil.site.explain..", "org.fedmil.site.suggest..", "org.fedmil.site.predict..",
                    "org.fedmil.data.slide..", "org.fedmil.data.dicom..").should()
            .transitivelyDependOnClassesThat(NETWORK)
            .because("explain, suggest, predict, slide and DICOM reading run offline at the site; what they call within "
                    + "FedMIL must be offline too");

    @Test
    void explainSuggestPredictSlidesAndDicomDependOnNoNetworkClassEvenThroughWhatTheyCall() {
        EXPLAIN_AND_SUGGEST_STAY_OFFLINE.check(ALL);
    }
}
