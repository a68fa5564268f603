package org.fedmil.site.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.fedmil.config.ConfigException;
import org.fedmil.site.check.CheckResult;
import org.fedmil.site.check.SiteCheck;
import org.fedmil.site.config.SiteConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fedmil site check}: everything the agent needs, verified before any training, one line per check. */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Check this site before training: data folder, certificate and key (and the CA's "
                + "fingerprint), the coordinator over mutual TLS (and its pinned fingerprint), whether it would "
                + "admit this site, the device. One PASS/WARN/FAIL line per check; exit code 0 when nothing failed, "
                + "1 otherwise. Asks the coordinator (CheckJoin) but changes nothing there."})
final class CheckCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, description = "site.yaml (see docs/configuration.md)")
    Path config;

    @Option(names = "--timeout-seconds", defaultValue = "15",
            description = "how long to wait for the coordinator's handshake and answer (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @Mixin
    SiteCommand.Overrides overrides = new SiteCommand.Overrides();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        SiteConfig site;
        try {
            site = SiteConfig.load(config, overrides.toConfig());
        } catch (ConfigException e) {
            out.println(new CheckResult("config", CheckResult.Status.FAIL, e.getMessage()).line());
            out.println("site check: 1 failed; fix site.yaml first, then run the check again");
            out.flush();
            return 1;
        }
        out.println(new CheckResult("config", CheckResult.Status.PASS, config.toAbsolutePath().normalize()
                + " is valid").line());
        out.flush();
        List<CheckResult> results = new SiteCheck(site, Clock.systemUTC(), Duration.ofSeconds(timeoutSeconds)).run();
        for (CheckResult r : results) {
            out.println(r.line());
        }
        long failed = results.stream().filter(r -> !r.status().ok()).count();
        long warned = results.stream().filter(r -> r.status() == CheckResult.Status.WARN).count();
        out.println(failed == 0 ? "site check: all passed" + (warned > 0 ? " (" + warned + " warning"
                + (warned > 1 ? "s" : "") + ")" : "") + "; start the agent with 'fedmil site run'"
                : "site check: " + failed + " failed; fix them before starting the agent");
        out.flush();
        return failed == 0 ? 0 : 1;
    }
}
