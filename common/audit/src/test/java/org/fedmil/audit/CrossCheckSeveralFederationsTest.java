package org.fedmil.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.fedmil.util.Sha256;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One state folder that served two federations (as the lifetime privacy ledger expects): crosscheck against the
 * first federation's round log compares only that federation's part of the egress log and receipts.
 */
class CrossCheckSeveralFederationsTest {

    private static final String OTHER = "fed-2";

    @TempDir
    Path dir;

    /** site-a's agent starts again and takes part in round 1 of another federation, with another coordinator. */
    private static void anotherFederation(FederationFixture f, boolean withSiteHeads) throws Exception {
        String site = "site-a";
        String sha = Sha256.hex(Sha256.of("other delta".getBytes(StandardCharsets.UTF_8)));
        try (RoundLog e = RoundLog.open(f.egressLog(site), f.siteKeys.get(site), f.siteCerts.get(site),
                EgressSchema.EGRESS_LOG)) {
            e.append(EgressSchema.AGENT_STARTED, Map.of("site", site));
            e.append(EgressSchema.SENT, Map.of("rpc", "Join", "coordinator", "other:7443",
                    "coordinator_fingerprint", "AB:".repeat(31) + "AB", "message_bytes", 10,
                    "message_sha256", sha, "content", Map.of()));
            e.append(EgressSchema.LOG_HEAD_RECEIVED, Map.of("federation_id", OTHER, "records", 99,
                    "last_sha256", sha, "head_file", "receipts/" + OTHER + "/log-head.json"));
            Map<String, Object> content = new LinkedHashMap<>();
            content.put("round", 1);
            content.put("delta_sha256", sha);
            if (withSiteHeads) {
                SiteHeads heads = new SiteHeads(OTHER, site, 1, 99, sha, 4, sha, 1, sha);
                content.put("site_heads", Map.of("statement", heads.canonicalJson(), "signature", "00"));
            }
            e.append(EgressSchema.SENT, Map.of("rpc", CrossCheck.UPLOAD_RPC, "coordinator", "other:7443",
                    "coordinator_fingerprint", "AB:".repeat(31) + "AB", "message_bytes", 10,
                    "message_sha256", sha, "content", content));
            e.append(EgressSchema.UPLOAD_STREAM_ENDED, Map.of("round", 1, "update_sha256", sha, "from_offset", 0,
                    "data_bytes", 10, "outcome", "OK"));
            String file = "receipts/" + OTHER + "/round-1-" + sha.substring(0, 12) + ".json";
            SignedStatement receipt = SignedStatement.sign(new Receipt(OTHER, site, 1, sha, Instant.now().toString(),
                    7, sha), f.coordinatorKey);
            Files.createDirectories(f.siteState(site).resolve(file).getParent());
            receipt.write(f.siteState(site).resolve(file));
            e.append(EgressSchema.RECEIPT_RECEIVED, Map.of("round", 1, "update_sha256", sha, "log_seq", 7,
                    "log_record_sha256", sha, "receipt_file", file));
        }
    }

    @Test
    void anotherFederationsMessagesReceiptsAndHeadsRaiseNoFalseAlarm() throws Exception {
        FederationFixture f = FederationFixture.pki(dir).run();
        CrossCheck.Result before = CrossCheck.run(f.roundLog, f.egressLog("site-a"), f.receipts("site-a"), f.ca);
        anotherFederation(f, true);

        CrossCheck.Result after = CrossCheck.run(f.roundLog, f.egressLog("site-a"), f.receipts("site-a"), f.ca);

        assertThat(after.disagreements()).isEmpty();
        assertThat(after.uploads()).isEqualTo(before.uploads());
        assertThat(after.receipts()).isEqualTo(before.receipts());
        assertThat(after.heads()).isEqualTo(before.heads());
    }

    @Test
    void withoutSiteHeadsTheLastHeadReceivedSaysWhichFederationALineBelongsTo() throws Exception {
        FederationFixture f = FederationFixture.pki(dir).run();
        anotherFederation(f, false);

        CrossCheck.Result after = CrossCheck.run(f.roundLog, f.egressLog("site-a"), f.receipts("site-a"), f.ca);

        assertThat(after.disagreements()).isEmpty();
    }

    @Test
    void anUpdateOfThisFederationTheLogLacksIsStillFoundAfterTheOtherFederationsPart() throws Exception {
        FederationFixture f = FederationFixture.pki(dir).run();
        anotherFederation(f, true);
        f.rewriteRoundLogWithout(l -> RecordSchema.UPDATE_ACCEPTED.equals(l.type())
                && "site-a".equals(l.text("site")) && Long.valueOf(3).equals(l.number("round")));

        CrossCheck.Result after = CrossCheck.run(f.roundLog, f.egressLog("site-a"), f.receipts("site-a"), f.ca);

        assertThat(after.disagreements()).extracting(Disagreement::kind)
                .contains(Disagreement.Kind.ACCEPTED_UPDATE_NOT_IN_LOG);
        assertThat(after.disagreements()).noneMatch(d -> OTHER.equals(d.site()) || d.message().contains(OTHER));
    }
}
