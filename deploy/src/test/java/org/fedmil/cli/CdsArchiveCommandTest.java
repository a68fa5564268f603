package org.fedmil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** `fedmil cds-archive` outside an installed package; the archive itself is written and used in DistributionIT. */
class CdsArchiveCommandTest {

    @Test
    void withoutAnInstalledPackageOrOutItSaysWhatToGive() {
        String home = System.clearProperty("fedmil.home");
        try {
            CliRun run = CliRun.of("cds-archive");

            assertThat(run.rc()).isEqualTo(2);
            assertThat(run.err()).contains("not run from an installed package", "--out FILE");
        } finally {
            if (home != null) {
                System.setProperty("fedmil.home", home);
            }
        }
    }

    @Test
    void anOutInAFolderThatDoesNotExistIsNamed(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) {
        java.nio.file.Path missing = tmp.resolve("no-such-folder");
        CliRun run = CliRun.of("cds-archive", "--out", missing.resolve("fedmil.jsa").toString());

        assertThat(run.rc()).isEqualTo(2);
        assertThat(run.err()).contains(missing + " is not a folder");
        assertThat(missing).doesNotExist();
    }
}
