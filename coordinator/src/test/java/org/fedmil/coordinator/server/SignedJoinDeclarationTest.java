package org.fedmil.coordinator.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.fedmil.audit.JoinStatement;
import org.fedmil.audit.LogRecords;
import org.fedmil.audit.RecordSchema;
import org.fedmil.audit.RoundLogVerifier;
import org.fedmil.proto.v1.DataShape;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.proto.v1.LabelCount;
import org.fedmil.protocol.JoinWire;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A site signs its join declaration with its certificate's key, over real gRPC in process: the coordinator checks
 * the signature against the caller's certificate, refuses a join whose signature does not check, and keeps statement
 * and signature in the site_joined record, where `audit verify` checks them with the CA certificate alone.
 */
@Timeout(60)
class SignedJoinDeclarationTest {

    @TempDir
    Path dir;

    private InProcessCoordinator coordinator;

    @AfterEach
    void stop() throws Exception {
        if (coordinator != null) {
            coordinator.close();
        }
    }

    private static JoinRequest declaring(long negatives, long positives) {
        return JoinRequest.newBuilder().setSoftwareVersion("test").setDevice("cpu()")
                .addBagsPerLabel(LabelCount.newBuilder().setLabel(0).setBags(negatives))
                .addBagsPerLabel(LabelCount.newBuilder().setLabel(1).setBags(positives))
                .setDataShape(DataShape.newBuilder().setKind("features").setFeatures(2)).build();
    }

    private List<LogRecords.Line> joined(String site) throws Exception {
        return LogRecords.readAll(dir.resolve("round-log.jsonl")).ofType(RecordSchema.SITE_JOINED).stream()
                .filter(l -> site.equals(l.text("site"))).toList();
    }

    private StatusRuntimeException refused(String site, JoinRequest request) {
        return catchThrowableOfType(() -> coordinator.blockingAs(site).join(request), StatusRuntimeException.class);
    }

    @Test
    void aSignedDeclarationIsKeptInTheSiteJoinedRecordAndVerifiesWithTheCaAlone() throws Exception {
        coordinator = new InProcessCoordinator(dir, InProcessCoordinator.Settings.defaults());

        coordinator.blockingAs("site-a").join(JoinWire.signed("site-a", declaring(3, 2), coordinator.key("site-a")));
        coordinator.awaitQuiet(200);

        Map<String, Object> record = joined("site-a").get(0).fields();
        JoinStatement st = JoinStatement.parse((String) record.get("join_statement"));
        assertThat(st.site()).isEqualTo("site-a");
        assertThat(st.bagsPerLabel()).isEqualTo(Map.of(0, 3L, 1, 2L));
        assertThat(st.dataKind()).isEqualTo("features");
        assertThat(record).containsKey("join_sig").containsEntry("bags", 5);
        RoundLogVerifier.Verdict v = RoundLogVerifier.verify(dir.resolve("round-log.jsonl"),
                coordinator.ca().certificate());
        assertThat(v.ok()).as(v.problem()).isTrue();
    }

    @Test
    void aDeclarationSignedWithAnotherSitesKeyIsRefusedAndNothingIsRecorded() throws Exception {
        coordinator = new InProcessCoordinator(dir, InProcessCoordinator.Settings.defaults());

        StatusRuntimeException e = refused("site-a", JoinWire.signed("site-a", declaring(3, 2),
                coordinator.key("site-b")));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(e.getStatus().getDescription()).contains("declaration_signature does not check against site "
                + "'site-a''s certificate").contains("sign its join statement").contains("nothing was recorded");
        assertThat(joined("site-a")).isEmpty();
    }

    @Test
    void aDeclarationChangedAfterItWasSignedIsRefused() throws Exception {
        coordinator = new InProcessCoordinator(dir, InProcessCoordinator.Settings.defaults());
        JoinRequest signed = JoinWire.signed("site-a", declaring(3, 2), coordinator.key("site-a"));
        // the same signature over a declaration of 10^9 negative bags
        JoinRequest inflated = signed.toBuilder().setBagsPerLabel(0,
                LabelCount.newBuilder().setLabel(0).setBags(1_000_000_000L)).build();

        StatusRuntimeException e = refused("site-a", inflated);

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(e.getStatus().getDescription()).contains("declaration_signature does not check");
        assertThat(joined("site-a")).isEmpty();
    }

    @Test
    void aDeclarationSignedInAnotherSitesNameIsRefused() throws Exception {
        coordinator = new InProcessCoordinator(dir, InProcessCoordinator.Settings.defaults());

        // site-a's own key, but a statement naming site-b: the statement the coordinator rebuilds names the caller
        StatusRuntimeException e = refused("site-a", JoinWire.signed("site-b", declaring(3, 2),
                coordinator.key("site-a")));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(joined("site-a")).isEmpty();
    }

    @Test
    void theSameDeclarationSignedAgainIsARejoinThatWritesNothing() throws Exception {
        coordinator = new InProcessCoordinator(dir, InProcessCoordinator.Settings.defaults());
        coordinator.blockingAs("site-a").join(JoinWire.signed("site-a", declaring(3, 2), coordinator.key("site-a")));

        // an ECDSA signature differs each time it is made; the declaration is what counts
        coordinator.blockingAs("site-a").join(JoinWire.signed("site-a", declaring(3, 2), coordinator.key("site-a")));
        coordinator.awaitQuiet(200);

        assertThat(joined("site-a")).hasSize(1);
    }
}
