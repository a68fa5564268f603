package org.fedmil.pki;

/**
 * The README.md of each kind of kit: what the files are, the CA fingerprint to compare by phone, and the next three
 * commands. {@code runuser} (util-linux, on every Linux) rather than {@code sudo}, which Debian does not install.
 */
final class KitReadme {

    static final String FINGERPRINT_FILE = "ca-fingerprint.txt";

    private KitReadme() {
    }

    static String site(String site, String federationId, String address, String caFingerprint) {
        String kit = "site-" + site;
        return "# Startup kit of site " + site + federation(federationId) + "\n\n"
                + "Everything site `" + site + "` needs to join the federation. Keep the folder together and `key.pem`"
                + " secret.\n\n"
                + files("this site's private key: it never leaves this machine",
                "this site's certificate; its CN, `" + site + "`, is the site id in every log and result")
                + "| `site.yaml` | the agent's config, filled in (coordinator `" + address + "`, the files above); "
                + "**only `data_dir` is yours to fill in** |\n"
                + "| `fedmil-site.service` | the systemd unit, reading `" + KitTemplates.SITE_HOME + "/site.yaml` |\n\n"
                + compare(caFingerprint)
                + "Then, as root, with FedMIL unpacked in `/opt/fedmil` and a `fedmil` system user "
                + "(`docs/site-guide.md`, \"Installing from the package\"):\n\n"
                + "1. Install the kit and set `data_dir` to the folder holding `bags.csv` (readable by the `fedmil` "
                + "user):\n\n"
                + install(kit, KitTemplates.SITE_HOME) + "       editor " + KitTemplates.SITE_HOME + "/site.yaml\n\n"
                + "2. Check everything before the first round, as the `fedmil` user:\n\n"
                + "       runuser -u fedmil -- /opt/fedmil/bin/fedmil site check --config " + KitTemplates.SITE_HOME
                + "/site.yaml\n\n"
                + "3. Start the agent as a service and follow it:\n\n"
                + "       cp " + KitTemplates.SITE_HOME + "/fedmil-site.service /etc/systemd/system/ && "
                + "systemctl daemon-reload && systemctl enable --now fedmil-site\n"
                + "       journalctl -u fedmil-site -f\n\n"
                + RUNUSER;
    }

    static String coordinator(String federationId, String address, String caFingerprint) {
        return "# Startup kit of the coordinator" + federation(federationId) + "\n\n"
                + "Everything the coordinator host needs. Sites dial `" + address + "`. Keep the folder together and "
                + "`key.pem` secret.\n\n"
                + files("the coordinator's private key: it never leaves the coordinator host",
                "the coordinator's server certificate, for every name sites dial")
                + "| `coordinator.yaml` | the coordinator's config, filled in (federation id, port, the files above); "
                + "**fill in `heldout_dir`**, and review `min_sites`, `rounds` and `model` |\n"
                + "| `fedmil-coordinator.service` | the systemd unit, reading `" + KitTemplates.COORDINATOR_HOME
                + "/coordinator.yaml` |\n\n"
                + compare(caFingerprint)
                + "Then, as root, with FedMIL unpacked in `/opt/fedmil` and a `fedmil` system user "
                + "(`docs/operator-guide.md`):\n\n"
                + "1. Install the kit and set `heldout_dir` to the held-out bags (readable by the `fedmil` user):\n\n"
                + install("coordinator", KitTemplates.COORDINATOR_HOME) + "       editor "
                + KitTemplates.COORDINATOR_HOME + "/coordinator.yaml\n\n"
                + "2. Start the coordinator as a service:\n\n"
                + "       cp " + KitTemplates.COORDINATOR_HOME + "/fedmil-coordinator.service /etc/systemd/system/ && "
                + "systemctl daemon-reload && systemctl enable --now fedmil-coordinator\n\n"
                + "3. Follow it until it says where it listens, then send the sites their kits:\n\n"
                + "       journalctl -u fedmil-coordinator -f\n\n"
                + RUNUSER;
    }

    static String admin(String admin, String federationId, String address, String caFingerprint) {
        String kit = "admin-" + admin;
        return "# Startup kit of admin " + admin + federation(federationId) + "\n\n"
                + "The certificate `fedmil admin` logs in with, to the coordinator at `" + address + "`. Keep `key.pem` "
                + "secret: it can pause, abort and revoke.\n\n"
                + files("your private key", "your admin certificate (CN `" + admin + "`)")
                + "\n" + compare(caFingerprint)
                + "Then, from the folder holding `" + kit + "/`:\n\n"
                + "1. See the federation:\n\n"
                + "       fedmil admin status --coordinator " + address + " --credentials " + kit + "\n\n"
                + "2. Hold it between rounds (and let it go on):\n\n"
                + "       fedmil admin pause --coordinator " + address + " --credentials " + kit + "\n"
                + "       fedmil admin resume --coordinator " + address + " --credentials " + kit + "\n\n"
                + "3. Shut a site out (recorded in the round log; `unrevoke` undoes it):\n\n"
                + "       fedmil admin revoke SITE --reason \"...\" --coordinator " + address + " --credentials " + kit
                + "\n";
    }

    private static String federation(String federationId) {
        return federationId == null ? "" : " (federation `" + federationId + "`)";
    }

    private static String files(String key, String cert) {
        return "| file | what it is |\n|---|---|\n"
                + "| `key.pem` | " + key + " (rw-------) |\n"
                + "| `cert.pem` | " + cert + " |\n"
                + "| `ca.pem` | the consortium CA certificate, the only one trusted |\n"
                + "| `" + FINGERPRINT_FILE + "` | `ca.pem`'s SHA-256 fingerprint |\n";
    }

    private static String compare(String caFingerprint) {
        return "First compare the CA fingerprint with the one the consortium operator reads you by phone:\n\n"
                + "       openssl x509 -in ca.pem -noout -fingerprint -sha256\n\n"
                + "must print, after `Fingerprint=`, `" + caFingerprint + "` (also in `" + FINGERPRINT_FILE + "`). "
                + "If it differs, stop: this kit does not come from your consortium.\n\n";
    }

    private static String install(String kit, String home) {
        return "       install -d -m 0755 /etc/fedmil && cp -r " + kit + " " + home + "\n"
                + "       chown -R root:fedmil " + home + " && chmod 0750 " + home + " && chown fedmil " + home
                + "/key.pem\n";
    }

    private static final String RUNUSER = "`runuser` (util-linux) is on every Linux; `sudo -u fedmil` does the same "
            + "where sudo is installed (Debian does not install it by default).\n";
}
