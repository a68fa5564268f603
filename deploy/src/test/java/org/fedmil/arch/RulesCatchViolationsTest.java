package org.fedmil.arch;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import org.fedmil.bench.archfixture.Benchmark;
import org.fedmil.coordinator.archfixture.CoordinatorReachingTheSite;
import org.fedmil.mil.archfixture.MilReachingTheWire;
import org.fedmil.site.archfixture.SiteReachingTheCoordinator;
import org.fedmil.site.explain.archfixture.ExplanationCallingOut;
import org.fedmil.tensor.archfixture.LibraryReachingUp;
import org.fedmil.util.archfixture.HarmlessLookingHelper;
import org.junit.jupiter.api.Test;

/**
 * Each architecture rule, run on classes written to break it (the *.archfixture packages of these tests), reports
 * the break: a rule that passes on the product could otherwise be one that cannot fail.
 */
class RulesCatchViolationsTest {

    private static final JavaClasses FIXTURES = new ClassFileImporter().importClasses(LibraryReachingUp.class,
            Benchmark.class, CoordinatorReachingTheSite.class, SiteReachingTheCoordinator.class,
            MilReachingTheWire.class, ExplanationCallingOut.class, HarmlessLookingHelper.class);

    private static String violations(ArchRule rule) {
        EvaluationResult result = rule.evaluate(FIXTURES);
        assertThat(result.hasViolation()).as(rule.getDescription()).isTrue();
        return String.join("\n", result.getFailureReport().getDetails());
    }

    @Test
    void aLibraryClassUsingTheCoordinatorIsReported() {
        assertThat(violations(ModuleBoundariesTest.LIBRARIES_KNOW_NO_APPLICATION))
                .contains("LibraryReachingUp", "org.fedmil.coordinator.round.FederationRun");
    }

    @Test
    void theCoordinatorUsingASiteClassIsReported() {
        assertThat(violations(ModuleBoundariesTest.THE_COORDINATOR_KNOWS_NO_SITE))
                .contains("CoordinatorReachingTheSite", "org.fedmil.site.config.SiteConfig");
    }

    @Test
    void theSiteUsingACoordinatorClassIsReported() {
        assertThat(violations(ModuleBoundariesTest.THE_SITE_KNOWS_NO_COORDINATOR))
                .contains("SiteReachingTheCoordinator", "org.fedmil.coordinator.round.FederationRun");
    }

    @Test
    void aProductClassUsingABenchmarkIsReported() {
        assertThat(violations(ModuleBoundariesTest.THE_PRODUCT_KNOWS_NO_BENCHMARK))
                .contains("LibraryReachingUp", "org.fedmil.bench.archfixture.Benchmark");
    }

    @Test
    void aLibraryClassUsingPicocliIsReported() {
        assertThat(violations(ModuleBoundariesTest.LIBRARIES_HAVE_NO_COMMAND_LINE))
                .contains("LibraryReachingUp", "picocli.CommandLine");
    }

    @Test
    void theMilLibraryUsingGrpcIsReported() {
        assertThat(violations(ModuleBoundariesTest.MIL_KNOWS_NO_NETWORK))
                .contains("MilReachingTheWire", "io.grpc.Status");
    }

    @Test
    void anExplanationOpeningASocketThroughAHelperItCallsIsReported() {
        assertThat(violations(ExplainAndSuggestStayOfflineTest.EXPLAIN_AND_SUGGEST_STAY_OFFLINE))
                .contains("ExplanationCallingOut", "HarmlessLookingHelper", "java.net.Socket");
    }
}
