package org.fedmil.pki;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A kit's config and systemd unit: the package's own samples (conf/, systemd/, copied into the jar) with the
 * party's values put in. Every substitution must match, so a sample changed without this class fails the kit
 * tests instead of yielding a kit with a placeholder left in.
 */
final class KitTemplates {

    /** Where a kit is installed on the party's machine; the units and READMEs name these. */
    static final String SITE_HOME = "/etc/fedmil/site";
    static final String COORDINATOR_HOME = "/etc/fedmil/coordinator";

    /** The one value a site fills in; the config loader names it (and that it does not exist) until it is. */
    static final String DATA_DIR_TO_FILL_IN = "FILL-IN-the-folder-holding-bags.csv";
    static final String HELDOUT_DIR_TO_FILL_IN = "FILL-IN-the-folder-holding-the-held-out-bags.csv";

    private KitTemplates() {
    }

    static String siteYaml(String host, int port, String coordinatorFingerprint) {
        String yaml = sample("conf/site.yaml");
        yaml = replace(yaml, "(?m)^(# site\\.yaml: .*)$", "$1\n# Written by `fedmil pki kit site`: everything but data_dir "
                + "is filled in. Install this folder as " + SITE_HOME + "/ (README.md).");
        yaml = replace(yaml, "(?m)^  host: \\S+ +# FILL IN.*$",
                "  host: " + host + "   # the coordinator, as written in its certificate");
        yaml = replace(yaml, "(?m)^  port: 7443( +#.*)$", "  port: " + port + "$1");
        yaml = replace(yaml, "(?m)^tls: +# FILL IN.*$", "tls:                    # this kit's files, next to this site.yaml");
        yaml = replace(yaml, "(?m)^  cert: /etc/fedmil/site/cert\\.pem$", "  cert: cert.pem");
        yaml = replace(yaml, "(?m)^  key: /etc/fedmil/site/key\\.pem( +#.*)$", "  key: key.pem$1");
        yaml = replace(yaml, "(?m)^  ca: /etc/fedmil/site/ca\\.pem$", "  ca: ca.pem");
        yaml = replace(yaml, "(?m)^data_dir: \\S+ +# FILL IN: (.*)$", "data_dir: " + DATA_DIR_TO_FILL_IN
                + "   # FILL IN (the one line to edit): the absolute path of the folder holding $1");
        if (coordinatorFingerprint != null) {
            yaml = replace(yaml, "(?m)^  # coordinator_fingerprint: .*$", "  # coordinator_fingerprint: \""
                    + coordinatorFingerprint + "\"   # the coordinator's certificate when this kit was made; "
                    + "uncomment to pin it (a renewed coordinator certificate then needs the new value)");
        }
        return replace(yaml, "(?m)^(# Check everything before the first round: +fedmil site check --config) \\S+$",
                "$1 " + SITE_HOME + "/site.yaml");
    }

    static String coordinatorYaml(String federationId, int port) {
        String yaml = sample("conf/coordinator.yaml");
        yaml = replace(yaml, "(?m)^(# coordinator\\.yaml: .*)$", "$1\n# Written by `fedmil pki kit coordinator`: fill in "
                + "heldout_dir. Install this folder as " + COORDINATOR_HOME + "/ (README.md).");
        yaml = replace(yaml, "(?m)^federation_id: \\S+$", "federation_id: " + federationId);
        yaml = replace(yaml, "(?m)^  port: 7443( +#.*)$", "  port: " + port + "$1");
        yaml = replace(yaml, "(?m)^tls: +# FILL IN.*$", "tls:                    # this kit's files, next to this file");
        yaml = replace(yaml, "(?m)^  cert: /etc/fedmil/coordinator/cert\\.pem$", "  cert: cert.pem");
        yaml = replace(yaml, "(?m)^  key: /etc/fedmil/coordinator/key\\.pem$", "  key: key.pem");
        yaml = replace(yaml, "(?m)^  ca: /etc/fedmil/coordinator/ca\\.pem$", "  ca: ca.pem");
        yaml = replace(yaml, "(?m)^heldout_dir: \\S+( +# FILL IN: .*)$", "heldout_dir: " + HELDOUT_DIR_TO_FILL_IN + "$1");
        return replace(yaml, "(?m)^(# Check it: +fedmil coordinator --config) \\S+", "$1 " + COORDINATOR_HOME
                + "/coordinator.yaml");
    }

    static String siteUnit() {
        String unit = sample("systemd/fedmil-site.service");
        unit = replace(unit, "/etc/fedmil/site\\.yaml", SITE_HOME + "/site.yaml");
        unit = replace(unit, "cp systemd/fedmil-site\\.service", "cp " + SITE_HOME + "/fedmil-site.service");
        return replace(unit, "(?m)^# Assumes .*$", "# Assumes the package in /opt/fedmil and this kit in " + SITE_HOME + "/.");
    }

    static String coordinatorUnit(int port) {
        String unit = sample("systemd/fedmil-coordinator.service");
        unit = replace(unit, "/etc/fedmil/coordinator\\.yaml", COORDINATOR_HOME + "/coordinator.yaml");
        unit = replace(unit, "cp systemd/fedmil-coordinator\\.service", "cp " + COORDINATOR_HOME
                + "/fedmil-coordinator.service");
        unit = replace(unit, "(?m)^# Assumes .*$", "# Assumes the package in /opt/fedmil and this kit in "
                + COORDINATOR_HOME + "/.");
        unit = replace(unit, "listens on 7443 \\(listen\\.port\\)", "listens on " + port + " (listen.port)");
        return replace(unit, "(?m)^SocketBindAllow=tcp:7443$", "SocketBindAllow=tcp:" + port);
    }

    private static String sample(String path) {
        try (InputStream in = KitTemplates.class.getResourceAsStream("kit/" + path)) {
            if (in == null) {
                throw new IllegalStateException("org/fedmil/pki/kit/" + path + " is missing from the fedmil-deploy jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Replaces every match of {@code regex}; a sample that no longer has it is a bug of this class. */
    private static String replace(String text, String regex, String replacement) {
        Matcher m = Pattern.compile(regex).matcher(text);
        if (!m.find()) {
            throw new IllegalStateException("the sample no longer matches /" + regex + "/: update KitTemplates");
        }
        return m.replaceAll(Matcher.quoteReplacement(replacement).replace("\\$1", "$1"));
    }
}
