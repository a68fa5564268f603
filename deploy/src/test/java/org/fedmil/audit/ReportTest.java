package org.fedmil.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ReportTest {

    @TempDir
    Path tmp;

    private FederationFixture federation() throws Exception {
        FederationFixture f = FederationFixture.pki(tmp);
        f.hostileStrings = true;
        return f.run();
    }

    private String cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new AuditCommand());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return exit + "|" + out + err;
    }

    private String report(FederationFixture f, String... extra) throws Exception {
        Path html = tmp.resolve("report.html");
        List<String> args = new java.util.ArrayList<>(List.of("report", f.roundLog.toString(), "--ca",
                f.caFile.toString(), "-o", html.toString()));
        args.addAll(List.of(extra));
        String result = cli(args.toArray(String[]::new));
        assertThat(result).startsWith("0|");
        return Files.readString(html, StandardCharsets.UTF_8);
    }

    /** The rows of the table with this id, one string of cell texts ("a|b|c") per row, tags removed. */
    private static List<String> rows(String html, String tableId) {
        int start = html.indexOf("<table id=\"" + tableId + "\">");
        assertThat(start).as("table %s", tableId).isNotNegative();
        String table = html.substring(start, html.indexOf("</table>", start));
        Matcher m = Pattern.compile("<tr>(.*?)</tr>").matcher(table);
        List<String> rows = new java.util.ArrayList<>();
        while (m.find()) {
            rows.add(m.group(1).replaceAll("</t[dh]><t[dh][^>]*>", "|").replaceAll("<[^>]+>", ""));
        }
        return rows;
    }

    @Test
    void theReportShowsTheFederationSitesRoundsRefusalsAndPlots() throws Exception {
        FederationFixture f = federation();
        String html = report(f);

        RoundLogVerifier.Verdict v = RoundLogVerifier.verify(f.roundLog, f.ca);
        assertThat(rows(html, "summary")).contains("Federation id|fed-1", "Rounds|3 aggregated of 3 planned", "Sites|2 joined (at least 2 required)",
                "Differential privacy required|clip_norm=1.0, noise_multiplier=1.1",
                "Head hash|" + v.head(), "Records|" + v.records(),
                "Final model|" + FederationFixture.modelSha(3));
        assertThat(html).contains("class=\"banner ok\"").doesNotContain("UNVERIFIED");

        String fpA = org.fedmil.pki.Certificates.sha256Fingerprint(f.siteCerts.get("site-a"));
        assertThat(rows(html, "sites")).anySatisfy(r -> assertThat(r).startsWith("site-a|").contains(fpA)
                .endsWith("|30|3|0||"));
        assertThat(rows(html, "sites")).anySatisfy(r -> assertThat(r).startsWith("site-b|")
                .contains("|20|2|1|").endsWith("|policy &lt;i&gt;budget&lt;/i&gt; spent &quot;done&quot;"));

        String shaA2 = FederationFixture.deltaSha("site-a", 2).substring(0, 12);
        String shaB3 = FederationFixture.deltaSha("site-b", 3).substring(0, 12);
        List<String> rounds = rows(html, "rounds");
        assertThat(rounds).contains(
                "0 (initial)|||||||" + FederationFixture.modelSha(0).substring(0, 12) + "|0.5",
                "2|2|site-a|30|" + shaA2 + "|4.5|1|" + FederationFixture.modelSha(2).substring(0, 12) + "|0.7",
                "site-b|20|" + shaB3 + "|5.5|1.2");
        assertThat(rounds).noneMatch(r -> r.startsWith("2|") && r.contains("site-b"));

        assertThat(rows(html, "refusals")).anySatisfy(r -> assertThat(r).contains("|site-b|2|NORM_EXCEEDED|")
                .contains("exceeds 10.0 &lt;/td&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));

        // the AUC plot has one line of four points (rounds 0..3), the privacy plot one line per site
        assertThat(html).contains("<title>Held-out AUC per round</title>", "<title>Epsilon spent per site over rounds</title>");
        assertThat(count(html, "<polyline")).isEqualTo(3);
        assertThat(html).contains("<title>site-a: 3, 1.5</title>", "<title>held-out AUC: 3, 0.8</title>");
        assertThat(rows(html, "sites")).anySatisfy(r -> assertThat(r).startsWith("&lt;script&gt;evil()&lt;/script&gt;|"
                + "never joined|"));
        assertThat(html).doesNotContain("id=\"no-dp\"");
    }

    @Test
    void everyStringFromTheLogIsEscaped() throws Exception {
        String html = report(federation());

        assertThat(html).doesNotContain("<script").doesNotContain("<b>&</b>").doesNotContain("<i>budget");
        assertThat(html).contains("&lt;script&gt;evil()&lt;/script&gt;", "unknown site &lt;b&gt;&amp;&lt;/b&gt;");
    }

    @Test
    void theReportIsSelfContained() throws Exception {
        String html = report(federation());

        assertThat(html).doesNotContain("http://").doesNotContain("https://").doesNotContain("src=")
                .doesNotContain("href=").doesNotContain("@import").doesNotContain("url(");
        assertThat(html).startsWith("<!DOCTYPE html>").contains("<style>").contains("<svg").endsWith("</html>\n");
    }

    @Test
    void aLogWithoutPrivacyFieldsSaysNoDp() throws Exception {
        Path logFile = tmp.resolve("plain.jsonl");
        FederationFixture f = FederationFixture.pki(tmp);
        try (RoundLog log = RoundLog.open(logFile, f.coordinatorKey, f.coordinatorCert)) {
            log.append(RecordSchema.FEDERATION_CREATED, java.util.Map.of("federation_id", "f0", "rounds", 1,
                    "min_sites", 1));
            log.append(RecordSchema.INITIAL_MODEL, java.util.Map.of("model_version", 0, "model_sha256",
                    "ab".repeat(32), "heldout", java.util.Map.of("auc", 0.5)));
        }
        String html = ReportPage.render(ReportModel.of(LogRecords.readAll(logFile),
                RoundLogVerifier.verify(logFile, f.ca)));

        assertThat(html).contains("id=\"no-dp\"", "No DP");
        assertThat(rows(html, "summary")).contains("Differential privacy required|no");
    }

    @Test
    void aLogThatDoesNotVerifyIsRefusedUnlessUnverifiedIsGivenAndThenBannered() throws Exception {
        FederationFixture f = federation();
        List<String> lines = Files.readAllLines(f.roundLog, StandardCharsets.UTF_8);
        lines.set(5, lines.get(5).replace("\"round\":1", "\"round\":7"));
        Files.write(f.roundLog, lines, StandardCharsets.UTF_8);
        Path html = tmp.resolve("report.html");

        String refused = cli("report", f.roundLog.toString(), "--ca", f.caFile.toString(), "-o", html.toString());
        assertThat(refused).startsWith("1|line 6: bad signature").contains("REFUSED", "--unverified");
        assertThat(html).doesNotExist();

        String forced = report(f, "--unverified");
        assertThat(forced).contains("class=\"banner bad\"", "UNVERIFIED: this round log does not verify",
                "line 6: bad signature");
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }
}
