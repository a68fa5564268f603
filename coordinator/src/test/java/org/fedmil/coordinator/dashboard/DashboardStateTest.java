package org.fedmil.coordinator.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fedmil.coordinator.round.AcceptedUpdate;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.coordinator.round.RoundResult;
import org.fedmil.coordinator.round.RunState;
import org.fedmil.coordinator.round.SiteJoin;
import org.fedmil.coordinator.round.UpdateRefusal;
import org.fedmil.mil.eval.BinaryMetrics;
import org.junit.jupiter.api.Test;

/** The dashboard's state and page from round events alone: no network. */
class DashboardStateTest {

    private final DashboardState state = new DashboardState("fed-1", 3, 2,
            Clock.fixed(Instant.parse("2026-01-02T10:11:12Z"), ZoneOffset.UTC));

    static RoundResult result(int round, List<String> sites, double auc, double loss) {
        return new RoundResult(round, round, "ab".repeat(32), sites, 60L * sites.size(),
                round == 0 ? Double.NaN : 0.5, new BinaryMetrics(40, auc, 0.7, 0.6, 0.8, loss), 1.5);
    }

    static AcceptedUpdate accepted(String site, int round) {
        return new AcceptedUpdate(site, round, "cd".repeat(32), 60, 0.42, 1.0, null);
    }

    private void twoRounds() {
        state.roundCompleted(result(0, List.of(), 0.5, 0.69), null);
        state.siteJoined("site-a", new SiteJoin("0.1", "cpu()", Map.of(0, 30L, 1, 30L)), 1, 2);
        state.siteJoined("site-b", new SiteJoin("0.1", "gpu(0)", Map.of(0, 20L, 1, 25L)), 2, 2);
        state.roundStarted(1, 2);
        state.updateAccepted(accepted("site-a", 1));
        state.updateAccepted(accepted("site-b", 1));
        state.roundCompleted(result(1, List.of("site-a", "site-b"), 0.8, 0.5), null);
        state.roundStarted(2, 2);
        state.updateAccepted(accepted("site-a", 2));
        state.updateRefused("site-b", 2, UpdateRefusal.NON_FINITE, "a NaN in tensor 'w'");
    }

    @Test
    void theSnapshotHoldsTheTimelineTheSitesAndTheRefusals() {
        twoRounds();
        state.stateChanged(new RunState(7, "fed-1", FederationRun.Phase.TRAINING, 2, 1, 1, List.of(1), List.of(),
                List.of("site-a", "site-b"), Map.of()));

        DashboardState.Snapshot s = state.snapshot();

        assertThat(s.phase()).isEqualTo("TRAINING");
        assertThat(s.currentRound()).isEqualTo(2);
        assertThat(s.joinedSites()).isEqualTo(2);
        assertThat(s.timeline()).extracting(DashboardState.RoundRow::round, DashboardState.RoundRow::status,
                        DashboardState.RoundRow::updates)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(0, "completed", 0),
                        org.assertj.core.groups.Tuple.tuple(1, "completed", 2),
                        org.assertj.core.groups.Tuple.tuple(2, "running", 1));
        assertThat(s.timeline().get(1).auc()).isEqualTo(0.8);
        DashboardState.SiteRow a = s.sites().get(0);
        assertThat(a.site()).isEqualTo("site-a");
        assertThat(a.bags()).isEqualTo(60);
        assertThat(a.updatesAccepted()).isEqualTo(2);
        assertThat(a.lastUpdateRound()).isEqualTo(2);
        assertThat(s.sites().get(1).refusals()).isEqualTo(1);
        assertThat(s.refusals()).singleElement().satisfies(r -> {
            assertThat(r.kind()).isEqualTo("NON_FINITE");
            assertThat(r.site()).isEqualTo("site-b");
            assertThat(r.round()).isEqualTo(2);
            assertThat(r.time()).isEqualTo("2026-01-02T10:11:12Z");
        });
    }

    @Test
    void anOlderStateSnapshotDoesNotOverwriteANewerOne() {
        state.stateChanged(new RunState(9, "fed-1", FederationRun.Phase.AGGREGATING, 3, 1, 2, List.of(), List.of(),
                List.of(), Map.of()));
        state.stateChanged(new RunState(8, "fed-1", FederationRun.Phase.TRAINING, 3, 1, 2, List.of(), List.of(),
                List.of(), Map.of()));
        assertThat(state.snapshot().phase()).isEqualTo("AGGREGATING");
    }

    @Test
    void aSiteThatLeftIsShownAsLeftWithItsReasonAndAShortRoundAsRetried() {
        twoRounds();
        state.siteLeft("site-b", "shutting down", 1);
        state.roundShort(2, 1, 1, 2, true);
        DashboardState.Snapshot s = state.snapshot();
        assertThat(s.sites().get(1).state()).isEqualTo("left");
        assertThat(s.sites().get(1).leftReason()).isEqualTo("shutting down");
        assertThat(s.joinedSites()).isEqualTo(1);
        assertThat(s.timeline().get(2).status()).isEqualTo("short, retried");
        assertThat(DashboardPage.fragment(s)).contains("left: shutting down");
    }

    @Test
    void refusalsKeptForThePageAreBoundedButAllAreCounted() {
        for (int i = 0; i < DashboardState.MAX_REFUSALS + 5; i++) {
            state.updateRefused("site-" + i, 1, UpdateRefusal.ROUND_CLOSED, "late");
        }
        DashboardState.Snapshot s = state.snapshot();
        assertThat(s.refusals()).hasSize(DashboardState.MAX_REFUSALS);
        assertThat(s.refusalsTotal()).isEqualTo(DashboardState.MAX_REFUSALS + 5);
        assertThat(s.refusals().get(0).site()).as("newest first").isEqualTo("site-" + (DashboardState.MAX_REFUSALS + 4));
    }

    @Test
    void thePageEscapesEveryStringThatComesFromASite() {
        state.siteJoined("evil", new SiteJoin("<script>alert(1)</script>", "cpu()\" onmouseover=\"x", Map.of(0, 1L)),
                1, 2);
        state.roundStarted(1, 1);
        state.updateRefused("evil", 1, UpdateRefusal.MALFORMED, "<img src=x onerror=alert(2)> & 'quoted'");
        state.siteLeft("evil", "</td><b>gone</b>", 0);

        String html = DashboardPage.page(state.snapshot());

        assertThat(html).doesNotContain("<script>alert", "<img", "<b>gone", "\" onmouseover=\"");
        assertThat(html).contains("&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x onerror=alert(2)&gt; &amp; &#39;quoted&#39;",
                "cpu()&quot; onmouseover=&quot;x", "&lt;/td&gt;&lt;b&gt;gone&lt;/b&gt;");
        // the only scripts are the page's own file
        assertThat(Pattern.compile("<script").matcher(html).results().count()).isEqualTo(1);
        assertThat(html).contains("<script src=\"dashboard.js\" defer></script>");
    }

    @Test
    void thePlotsDrawOnePointPerCompletedRound() {
        twoRounds();
        String html = DashboardPage.fragment(state.snapshot());

        Matcher auc = Pattern.compile("<svg id=\"plot-auc\".*?<polyline class=\"auc\" fill=\"none\" points=\"([^\"]*)\"",
                Pattern.DOTALL).matcher(html);
        assertThat(auc.find()).isTrue();
        assertThat(auc.group(1).split(" ")).hasSize(2);
        Matcher loss = Pattern.compile("<polyline class=\"loss\" fill=\"none\" points=\"([^\"]*)\"").matcher(html);
        assertThat(loss.find()).isTrue();
        assertThat(loss.group(1).split(" ")).hasSize(2);
        // the training loss has no value for round 0
        Matcher train = Pattern.compile("<polyline class=\"train\" fill=\"none\" points=\"([^\"]*)\"").matcher(html);
        assertThat(train.find()).isTrue();
        assertThat(train.group(1).split(" ")).hasSize(1);
        assertThat(html).contains("<title>round 1: 0.8000</title>");
        assertThat(html).contains("<tr class=\"site joined\" data-site=\"site-a\">", "data-site=\"site-b\"");
    }
}
