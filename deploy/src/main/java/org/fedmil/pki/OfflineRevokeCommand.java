package org.fedmil.pki;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.fedmil.coordinator.admin.OfflineRevocations;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code fedmil pki revoke SITE --offline}: revokes a site without reaching the coordinator over the network, by
 * adding it to the CA-signed offline revocation file in the coordinator's state folder, which the running
 * coordinator applies within seconds (docs/operator-guide.md, "Revoking a site offline"). For a host so loaded
 * that {@code fedmil admin revoke} cannot get through, or a coordinator whose network is down.
 */
@Command(name = "revoke", mixinStandardHelpOptions = true,
        description = "Revoke SITE offline: add it to the CA-signed revocation file in the coordinator's state "
                + "folder, which the running coordinator applies within seconds.")
final class OfflineRevokeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "SITE", description = "The site id (its certificate CN).")
    String site;

    @Option(names = "--offline", required = true, description = "Write the signed file (the only way this command "
            + "revokes; online, use `fedmil admin revoke`).")
    boolean offline;

    @Option(names = "--reason", required = true, description = "Why; recorded in the round log.")
    String reason;

    @Option(names = "--dir", defaultValue = "pki", description = "PKI directory with the CA key (default: "
            + "${DEFAULT-VALUE}).")
    Path dir;

    @Option(names = "--state-dir", required = true, description = "The coordinator's state folder (its state_dir).")
    Path stateDir;

    @Override
    public Integer call() {
        return PkiCommand.run(spec, out -> {
            ConsortiumCa.requirePartyName(site, PartyKind.SITE);
            if (reason.isBlank()) {
                throw new PkiException("--reason is empty; say why the site is revoked (it goes into the round log)");
            }
            if (!Files.isDirectory(stateDir)) {
                throw new PkiException("--state-dir " + stateDir + " is not a folder; give the coordinator's state_dir");
            }
            ConsortiumCa ca = ConsortiumCa.load(dir);
            List<OfflineRevocations.Entry> entries = new ArrayList<>(OfflineRevocations.readUnchecked(stateDir));
            entries.removeIf(e -> e.site().equals(site));
            entries.add(new OfflineRevocations.Entry(site, reason, Instant.now().toString()));
            Path file = OfflineRevocations.write(stateDir, entries,
                    PemFiles.readPrivateKey(ca.layout().caKey()));
            out.println("Wrote " + file + " (" + entries.size() + " revoked site" + (entries.size() == 1 ? "" : "s")
                    + ", signed by the consortium CA); the running coordinator revokes '" + site + "' within "
                    + "seconds and records it in the round log (`fedmil admin status` or its log shows it)");
        });
    }
}
