package org.fedmil.coordinator.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.fedmil.coordinator.round.SiteJoin;
import org.fedmil.coordinator.round.UpdateRefusal;
import org.fedmil.proto.v1.JoinRequest;
import org.junit.jupiter.api.Test;

/** The Prometheus scrape from round events and counted bytes. */
class FederationMetricsTest {

    @Test
    void theScrapeCountsRoundsUpdatesRefusalsBytesAndShowsTheGauges() {
        FederationMetrics m = new FederationMetrics("fed-1");
        m.roundCompleted(DashboardStateTest.result(0, List.of(), 0.5, 0.69), null);
        m.siteJoined("a", new SiteJoin("0.1", "cpu()", Map.of(0, 1L)), 1, 2);
        m.siteJoined("b", new SiteJoin("0.1", "cpu()", Map.of(0, 1L)), 2, 2);
        m.updateAccepted(DashboardStateTest.accepted("a", 1));
        m.updateAccepted(DashboardStateTest.accepted("b", 1));
        m.roundCompleted(DashboardStateTest.result(1, List.of("a", "b"), 0.75, 0.5), null);
        m.updateRefused("b", 2, UpdateRefusal.NORM_EXCEEDED, "too big");
        m.updateRefused("b", 2, UpdateRefusal.NORM_EXCEEDED, "too big");
        m.siteLeft("b", "bye", 1);
        JoinRequest message = JoinRequest.newBuilder().setSoftwareVersion("0.1").build();
        m.received(ByteCounter.size(message));
        m.sent(1000);

        String text = m.scrape();

        assertThat(text).contains(
                "# TYPE fedmil_rounds_completed_total counter",
                "fedmil_rounds_completed_total{federation=\"fed-1\"} 1.0",
                "fedmil_updates_accepted_total{federation=\"fed-1\"} 2.0",
                "fedmil_updates_refused_total{federation=\"fed-1\",reason=\"NORM_EXCEEDED\"} 2.0",
                "fedmil_updates_refused_total{federation=\"fed-1\",reason=\"NON_FINITE\"} 0.0",
                "fedmil_grpc_received_bytes_total{federation=\"fed-1\"} " + (double) message.getSerializedSize(),
                "fedmil_grpc_sent_bytes_total{federation=\"fed-1\"} 1000.0",
                "fedmil_round_duration_seconds_count{federation=\"fed-1\"} 1",
                "fedmil_round_duration_seconds_sum{federation=\"fed-1\"} 1.5",
                "# TYPE fedmil_sites_connected gauge",
                "fedmil_sites_connected{federation=\"fed-1\"} 1.0",
                "fedmil_heldout_auc{federation=\"fed-1\"} 0.75",
                "fedmil_heldout_loss{federation=\"fed-1\"} 0.5",
                "fedmil_round_current{federation=\"fed-1\"} 1.0");
        assertThat(message.getSerializedSize()).isPositive();
    }
}
