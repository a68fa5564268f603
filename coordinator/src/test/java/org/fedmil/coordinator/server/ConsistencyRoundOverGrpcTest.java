package org.fedmil.coordinator.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.fedmil.coordinator.server.UploadStream.data;
import static org.fedmil.coordinator.server.UploadStream.header;
import static org.fedmil.coordinator.server.UploadStream.signed;
import static org.fedmil.coordinator.server.UploadStream.upload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.StatusRuntimeException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.fedmil.audit.RoundLogVerifier;
import org.fedmil.proto.v1.NextTaskRequest;
import org.fedmil.proto.v1.SecAggUpload;
import org.fedmil.proto.v1.Task;
import org.fedmil.protocol.SecAggWire;
import org.fedmil.secagg.MaskedInput;
import org.fedmil.secagg.RosterAuthentication;
import org.fedmil.secagg.SecAggClient;
import org.fedmil.secagg.SecAggParameters;
import org.fedmil.secagg.UnmaskRequest;
import org.fedmil.util.Sha256;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The consistency round through the coordinator's real gRPC service, in process: three sites with real consortium
 * keys run a securely aggregated round step by step over the Federation RPCs; the coordinator relays their
 * survivor-set signatures with the unmask tasks and keeps them in the signed round log, which then passes
 * `audit verify` with only the CA certificate.
 */
@Timeout(60)
class ConsistencyRoundOverGrpcTest {

    private static final List<String> SITES = List.of("site-a", "site-b", "site-c");

    @TempDir
    Path dir;

    private InProcessCoordinator coordinator;
    private final Map<String, SecAggClient> clients = new HashMap<>();

    @AfterEach
    void stop() throws Exception {
        if (coordinator != null) {
            coordinator.close();
        }
    }

    private Task next(String site) {
        return coordinator.blockingAs(site).nextTask(NextTaskRequest.newBuilder().setMaxWaitMs(0).build());
    }

    /** The site's answer to its current task, over the wire; returns the task's kind. */
    private Task.KindCase act(String site) throws Exception {
        Task t = next(site);
        var stub = coordinator.blockingAs(site);
        switch (t.getKindCase()) {
            case SECAGG_ADVERTISE -> {
                SecAggParameters p = SecAggWire.fromProto(t.getSecaggAdvertise().getParameters(),
                        InProcessCoordinator.FEDERATION);
                SecAggClient c = new SecAggClient(site, p, new RosterAuthentication(coordinator.key(site),
                        coordinator.certificate(site), coordinator.ca().certificate(), Clock.systemUTC()),
                        new SecureRandom());
                clients.put(site, c);
                stub.advertiseKeys(SecAggWire.toKeys(p.round(), c.advertise()));
            }
            case SECAGG_SHARE -> stub.shareKeys(SecAggWire.toProto(1, clients.get(site)
                    .shareKeys(SecAggWire.roster(t.getSecaggShare().getRosterList()))));
            case SECAGG_MASK -> {
                SecAggClient c = clients.get(site);
                c.receiveShares(SecAggWire.shares(t.getSecaggMask().getSharesList()));
                MaskedInput in = c.maskInput(new float[] {0.1f, -0.2f, 0.3f, -0.4f}, 5);
                ByteBuffer b = ByteBuffer.allocate(8 * in.masked().length).order(ByteOrder.LITTLE_ENDIAN);
                b.asLongBuffer().put(in.masked());
                byte[] bytes = b.array();
                var h = header(1, bytes).setDeltaSha256(com.google.protobuf.ByteString.copyFrom(Sha256.of(bytes)))
                        .setSecureAggregation(SecAggUpload.newBuilder().setFractionalBits(
                                c.parameters().fractionalBits()));
                UploadStream.Outcome o = upload(coordinator.as(site), signed(h, coordinator.key(site), site),
                        data(bytes));
                assertThat(o.status().isOk()).as("%s's masked upload: %s", site, o.status()).isTrue();
            }
            case SECAGG_CONSISTENCY -> stub.signSurvivors(SecAggWire.toProto(1, clients.get(site)
                    .signSurvivors(SecAggWire.fromProto(t.getSecaggConsistency()))));
            case SECAGG_UNMASK -> stub.unmask(SecAggWire.toProto(1, clients.get(site).unmask(
                    SecAggWire.fromProto(t.getSecaggUnmask()), SecAggWire.survivorSignatures(t.getSecaggUnmask()))));
            default -> {
            }
        }
        return t.getKindCase();
    }

    private void everyone(Task.KindCase expected) throws Exception {
        for (String s : SITES) {
            assertThat(act(s)).as("%s's task", s).isEqualTo(expected);
        }
    }

    private void throughMasking() throws Exception {
        coordinator = new InProcessCoordinator(dir, InProcessCoordinator.Settings.defaults().minSites(3).secured())
                .join(SITES.toArray(String[]::new));
        everyone(Task.KindCase.SECAGG_ADVERTISE);
        everyone(Task.KindCase.SECAGG_SHARE);
        everyone(Task.KindCase.SECAGG_MASK);
    }

    @Test
    void anHonestRoundKeepsEverySurvivorsSignatureInTheRoundLogAndItsLogPassesVerify() throws Exception {
        throughMasking();
        everyone(Task.KindCase.SECAGG_CONSISTENCY);
        Task unmask = next("site-a");
        assertThat(unmask.getKindCase()).isEqualTo(Task.KindCase.SECAGG_UNMASK);
        assertThat(unmask.getSecaggUnmask().getSurvivorSignaturesList()).as("relayed with the unmask task")
                .extracting(s -> s.getSiteId()).containsExactlyElementsOf(SITES);
        everyone(Task.KindCase.SECAGG_UNMASK);
        assertThat(coordinator.run.awaitModelVersion(1, java.time.Duration.ofSeconds(20))).isTrue();
        coordinator.awaitQuiet(200);

        JsonNode record = null;
        for (String line : coordinator.roundLogLines()) {
            JsonNode r = new ObjectMapper().readTree(line);
            if (r.get("type").asText().equals("secure_aggregation")) {
                record = r;
            }
        }
        assertThat(record).as("the secure_aggregation record").isNotNull();
        List<String> signers = new ArrayList<>();
        record.get("survivor_signatures").forEach(s -> signers.add(s.get("site").asText()));
        assertThat(signers).containsExactlyElementsOf(SITES);
        RoundLogVerifier.Verdict v = RoundLogVerifier.verify(dir.resolve("round-log.jsonl"),
                coordinator.ca().certificate());
        assertThat(v.problem()).isNull();
        assertThat(v.ok()).isTrue();
    }

    @Test
    void aSignatureOverAnotherSetThanTheCoordinatorsIsRefusedBeforeItIsRelayed() throws Exception {
        throughMasking();
        Task t = next("site-a");
        assertThat(t.getKindCase()).isEqualTo(Task.KindCase.SECAGG_CONSISTENCY);
        UnmaskRequest other = new UnmaskRequest(List.of("site-a", "site-b"), List.of("site-c"));

        assertThatThrownBy(() -> coordinator.blockingAs("site-a").signSurvivors(SecAggWire.toProto(1,
                clients.get("site-a").signSurvivors(other)))).isInstanceOf(StatusRuntimeException.class)
                .hasMessageContaining("INVALID_ARGUMENT")
                .hasMessageContaining("site-a's signature over the survivor set of round 1 is refused");
        assertThat(next("site-b").getKindCase()).as("the step goes on for the others")
                .isEqualTo(Task.KindCase.SECAGG_CONSISTENCY);
    }
}
