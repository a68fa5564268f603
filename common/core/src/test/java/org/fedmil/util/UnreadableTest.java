package org.fedmil.util;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.fedmil.config.ConfigException;
import org.fedmil.config.ConfigFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A file the process may not read is named, with the user the process runs as and the fix. */
class UnreadableTest {

    @Test
    void theMessageNamesTheFileTheProcessUserAndTheFix() {
        String message = Unreadable.notReadable(new AccessDeniedException("/etc/fedmil/site/key.pem"));
        String user = System.getProperty("user.name");

        assertThat(message).startsWith("/etc/fedmil/site/key.pem is not readable by user " + user
                + " (the user this process runs as)").contains("chown " + user + " /etc/fedmil/site/key.pem",
                "chmod g+r").doesNotContain("AccessDeniedException");
        assertThat(Unreadable.notReadable("/srv/bags/bags.csv", "fedmil"))
                .startsWith("/srv/bags/bags.csv is not readable by user fedmil").contains("chown fedmil /srv/bags/bags.csv");
        assertThat(Unreadable.denied(new AccessDeniedException("/opt/pki/sites")))
                .startsWith("permission denied on /opt/pki/sites for user " + user);
    }

    @Test
    void anUnreadableConfigFileIsNamedWithTheUserNotAsAnAccessDeniedException(@TempDir Path tmp) throws IOException {
        // root reads every file whatever its mode, so the permission cannot be taken away from it
        assumeFalse("root".equals(System.getProperty("user.name")),
                "running as root, which reads every file regardless of its mode: an unreadable file cannot be made");
        Path yaml = Files.writeString(tmp.resolve("site.yaml"), "device: cpu\n");
        Files.setPosixFilePermissions(yaml, PosixFilePermissions.fromString("-w-------"));

        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> ConfigFiles.read(yaml, Object.class)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(yaml + " is not readable by user " + System.getProperty("user.name"))
                .hasMessageNotContaining("AccessDeniedException");
    }
}
