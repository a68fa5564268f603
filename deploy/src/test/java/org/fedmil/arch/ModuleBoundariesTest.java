package org.fedmil.arch;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.fedmil.arch.ProductClasses.ALL;
import static org.fedmil.arch.ProductClasses.APPLICATION_PACKAGES;
import static org.fedmil.arch.ProductClasses.IN_THE_COMMAND_LINE_MODULE;
import static org.fedmil.arch.ProductClasses.LIBRARY_PACKAGES;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.Test;

/** Which module may use which: the libraries under the applications, the coordinator and the site apart. */
class ModuleBoundariesTest {

    static final DescribedPredicate<JavaClass> LIBRARY = resideInAnyPackage(LIBRARY_PACKAGES)
            .and(not(IN_THE_COMMAND_LINE_MODULE)).as("library classes");

    static final ArchRule LIBRARIES_KNOW_NO_APPLICATION = noClasses().that(LIBRARY).should()
            .dependOnClassesThat().resideInAnyPackage(APPLICATION_PACKAGES)
            .because("the libraries are shared by the coordinator, the site and the tools; they cannot know them");

    static final ArchRule THE_COORDINATOR_KNOWS_NO_SITE = noClasses().that()
            .resideInAPackage("org.fedmil.coordinator..").should().dependOnClassesThat()
            .resideInAPackage("org.fedmil.site..")
            .because("the two sides meet only over the gRPC protocol");

    static final ArchRule THE_SITE_KNOWS_NO_COORDINATOR = noClasses().that()
            .resideInAPackage("org.fedmil.site..").should().dependOnClassesThat()
            .resideInAPackage("org.fedmil.coordinator..")
            .because("the two sides meet only over the gRPC protocol");

    static final ArchRule THE_PRODUCT_KNOWS_NO_BENCHMARK = noClasses().that()
            .resideOutsideOfPackage("org.fedmil.bench..").should().dependOnClassesThat()
            .resideInAPackage("org.fedmil.bench..")
            .because("the benchmarks are not in the install package; `fedmil bench` finds them only by name");

    static final ArchRule LIBRARIES_HAVE_NO_COMMAND_LINE = noClasses().that(LIBRARY).should()
            .dependOnClassesThat().resideInAPackage("picocli..")
            .because("the picocli commands live in the application modules");

    static final ArchRule MIL_KNOWS_NO_NETWORK = noClasses().that().resideInAPackage("org.fedmil.mil..").should()
            .dependOnClassesThat().resideInAnyPackage("io.grpc..", "io.netty..", "org.fedmil.proto..",
                    "org.fedmil.protocol..")
            .because("the MIL library trains and evaluates models; what crosses the wire is the protocol module's");

    @Test
    void theLibrariesDependOnNoApplication() {
        LIBRARIES_KNOW_NO_APPLICATION.check(ALL);
    }

    @Test
    void theCoordinatorDoesNotDependOnTheSite() {
        THE_COORDINATOR_KNOWS_NO_SITE.check(ALL);
    }

    @Test
    void theSiteDoesNotDependOnTheCoordinator() {
        THE_SITE_KNOWS_NO_COORDINATOR.check(ALL);
    }

    @Test
    void nothingInTheProductDependsOnTheBenchmarks() {
        THE_PRODUCT_KNOWS_NO_BENCHMARK.check(ALL);
    }

    @Test
    void theLibrariesDoNotUsePicocli() {
        LIBRARIES_HAVE_NO_COMMAND_LINE.check(ALL);
    }

    @Test
    void theMilLibraryDependsOnNoGrpcNettyOrProtocol() {
        MIL_KNOWS_NO_NETWORK.check(ALL);
    }
}
