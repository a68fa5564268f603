package org.fedmil.data.dicom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.fedmil.data.SourceDataException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DicomPixelsTest {

    @TempDir
    Path dir;

    @ParameterizedTest(name = "slope {0}, intercept {1}")
    @CsvSource({"1,-1024", "2,-2048", "0.5,-100", "1,0", "3,-3000"})
    void storedValuesBecomeHounsfieldUnitsWhateverTheRescale(double slope, double intercept) throws IOException {
        Path f = new TestDicom().rescale(slope, intercept).hu((x, y) -> x == 1 ? 300 : -1000).write(dir.resolve("a"));

        float[] hu = DicomPixels.grey(DicomHeader.read(f).orElseThrow()).get(0);

        assertThat(hu[1]).isCloseTo(300f, within((float) slope));
        assertThat(hu[0]).isCloseTo(-1000f, within((float) slope));
    }

    @Test
    void everyFrameOfAMultiFrameFileIsRead() throws IOException {
        Path f = new TestDicom().frames(5).rescale(2, -2048).hu((x, y) -> 40).write(dir.resolve("mf"));
        DicomHeader h = DicomHeader.read(f).orElseThrow();

        List<float[]> frames = DicomPixels.grey(h);

        assertThat(h.frames()).isEqualTo(5);
        assertThat(frames).hasSize(5).allSatisfy(v -> assertThat(v[7]).isEqualTo(40f));
    }

    @Test
    void aFileCutShortIsRefusedNotReadAsZeros() throws IOException {
        Path f = new TestDicom().write(dir.resolve("cut"));
        byte[] b = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(b, b.length - 100));

        DicomHeader h = DicomHeader.read(f).orElseThrow();
        assertThatThrownBy(() -> DicomPixels.grey(h)).isInstanceOf(SourceDataException.class)
                .hasMessageContaining("cut")
                .hasMessageContaining("cut short");
    }

    @Test
    void windowsClipToTheirRange() {
        DicomWindow lung = DicomWindow.parse("lung");
        assertThat(lung.level()).isEqualTo(-600);
        assertThat(lung.width()).isEqualTo(1500);
        DicomWindow w = DicomWindow.parse("40,400");
        assertThat(w.apply(-160, -160, 240)).isZero();
        assertThat(w.apply(40, -160, 240)).isEqualTo(0.5f);
        assertThat(w.apply(1000, -160, 240)).isEqualTo(1f);
        assertThatThrownBy(() -> DicomWindow.parse("chest")).hasMessageContaining("brain, soft_tissue, lung");
        assertThatThrownBy(() -> DicomWindow.parse("40,-1")).hasMessageContaining("positive");
    }
}
