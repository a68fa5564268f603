package org.fedmil.data.dicom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fedmil.data.SourceDataException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DicomSeriesTest {

    @TempDir
    Path dir;

    /** Writes a series of {@code n} slices 2.5 mm apart, file names in reverse order of position. */
    private List<Path> series(String uid, int n, int skip) throws IOException {
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (i == skip) {
                continue;
            }
            int slice = i;
            files.add(new TestDicom().series(uid).instance(i + 1).z(-50 + 2.5 * i).hu((x, y) -> slice * 10)
                    .write(dir.resolve(uid).resolve(String.format("IM%03d", n - i))));
        }
        return files;
    }

    private static List<DicomHeader> headers(List<Path> files) {
        return files.stream().map(f -> DicomHeader.read(f).orElseThrow()).toList();
    }

    @Test
    void slicesAreOrderedAlongThePatientNotByFileName() throws IOException {
        List<DicomBags.Problem> problems = new ArrayList<>();
        List<DicomBags.Bag> bags = DicomBags.group(headers(series("1.2.3", 6, -1)), DicomBags.BagBy.SERIES, problems);

        assertThat(problems).isEmpty();
        assertThat(bags).hasSize(1);
        assertThat(bags.get(0).files()).extracting(DicomHeader::instanceNumber).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(bags.get(0).sliceSpacing()).isEqualTo(2.5);
    }

    @Test
    void aSeriesWithAMissingSliceIsRefusedNamingTheNeighbours() throws IOException {
        List<DicomBags.Problem> problems = new ArrayList<>();
        List<DicomBags.Bag> bags = DicomBags.group(headers(series("1.2.3", 8, 4)), DicomBags.BagBy.SERIES, problems);

        assertThat(bags).isEmpty();
        assertThat(problems).singleElement().extracting(DicomBags.Problem::what).asString()
                .contains("slices missing", "step of 5 mm", "2.5 mm apart", "about 1 missing", "IM005", "IM003");
    }

    @Test
    void aSeriesWithoutPositionsIsCheckedByInstanceNumber() throws IOException {
        for (int i : new int[] {1, 2, 4}) {
            new TestDicom().series("9.9").instance(i).noPosition().write(dir.resolve("x" + i));
        }
        List<DicomBags.Problem> problems = new ArrayList<>();
        DicomBags.group(DicomExport.scan(dir).headers(), DicomBags.BagBy.SERIES, problems);

        assertThat(problems).singleElement().extracting(DicomBags.Problem::what).asString()
                .contains("slices missing", "between x2 and x4");
    }

    @Test
    void twoSlicesAtOnePositionAreRefused() throws IOException {
        List<Path> files = series("1.2.3", 4, -1);
        new TestDicom().series("1.2.3").instance(9).z(-50).write(dir.resolve("1.2.3").resolve("copy"));
        List<DicomBags.Problem> problems = new ArrayList<>();
        DicomBags.group(DicomExport.scan(dir).headers(), DicomBags.BagBy.SERIES, problems);

        assertThat(files).hasSize(4);
        assertThat(problems).singleElement().extracting(DicomBags.Problem::what).asString()
                .contains("two slices at the same position");
    }

    @Test
    void aSeriesOfMixedSizesIsRefusedButAStudyOfMixedViewsIsNot() throws IOException {
        new TestDicom().series("1.1").instance(1).z(0).size(16, 16).write(dir.resolve("a"));
        new TestDicom().series("1.1").instance(2).z(1).size(16, 16).write(dir.resolve("b"));
        new TestDicom().series("1.1").instance(3).z(2).size(12, 20).write(dir.resolve("c"));
        List<DicomHeader> headers = DicomExport.scan(dir).headers();

        List<DicomBags.Problem> problems = new ArrayList<>();
        assertThat(DicomBags.group(headers, DicomBags.BagBy.SERIES, problems)).isEmpty();
        assertThat(problems).singleElement().extracting(DicomBags.Problem::what).asString()
                .contains("different sizes", "16×16 in 2 file(s)", "20×12 in 1 file(s), e.g. c");

        List<DicomBags.Problem> none = new ArrayList<>();
        assertThat(DicomBags.group(headers, DicomBags.BagBy.STUDY, none)).singleElement()
                .extracting(DicomBags.Bag::instances).isEqualTo(3);
        assertThat(none).isEmpty();
    }

    @Test
    void compressedFilesAreNamedWithTheirTransferSyntaxAndOtherFilesAreSkipped() throws IOException {
        new TestDicom().transferSyntax(TestDicom.JPEG_LOSSLESS).write(dir.resolve("jpeg.dcm"));
        new TestDicom().write(dir.resolve("ok.dcm"));
        Files.writeString(dir.resolve("README.txt"), "exported by the PACS");

        DicomExport.Scan scan = DicomExport.scan(dir);

        assertThat(scan.headers()).hasSize(1);
        assertThat(scan.skipped()).isEqualTo(1);
        assertThat(scan.problems()).singleElement().satisfies(p -> {
            assertThat(p.where()).endsWith("jpeg.dcm");
            assertThat(p.what()).contains("compressed", TestDicom.JPEG_LOSSLESS, "dcmdjpeg");
        });
    }

    @Test
    void aFileThatIsNotAFolderIsNotAnExport() throws IOException {
        Path f = Files.writeString(dir.resolve("f"), "x");
        assertThatThrownBy(() -> DicomExport.scan(f)).isInstanceOf(SourceDataException.class)
                .hasMessageContaining("not a folder");
    }
}
