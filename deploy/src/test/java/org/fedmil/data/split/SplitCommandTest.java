package org.fedmil.data.split;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code fedmil data split} on a small feature data set: what it writes and the input it refuses. */
class SplitCommandTest {

    @TempDir
    Path tmp;

    private final StringWriter stdout = new StringWriter();
    private final StringWriter stderr = new StringWriter();

    private int run(String... args) {
        CommandLine cl = new CommandLine(new SplitCommand());
        cl.setOut(new PrintWriter(stdout));
        cl.setErr(new PrintWriter(stderr));
        return cl.execute(args);
    }

    private Path dataSet(int negatives, int positives) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("data/bags"));
        StringBuilder csv = new StringBuilder("bag_id,label\n");
        for (int i = 0; i < negatives + positives; i++) {
            Npy.write(dir.resolve("b" + i + ".npy"), new Npy.Matrix(2, 2, new float[] {i, 1, 2, 3}));
            csv.append('b').append(i).append(',').append(i < negatives ? 0 : 1).append('\n');
        }
        Files.writeString(tmp.resolve("data/bags.csv"), csv);
        return tmp.resolve("data");
    }

    @Test
    void writesFoldFoldersThatLoadAndPrintsWhatWentWhere() throws IOException {
        Path data = dataSet(12, 10);
        Path out = tmp.resolve("out");

        int rc = run("--data", data.toString(), "--out", out.toString(), "--folds", "5", "--sites", "2");

        assertThat(rc).as(stderr.toString()).isZero();
        assertThat(stdout.toString()).contains("split 22 bags (bags)", "heldout");
        for (int f = 1; f <= 5; f++) {
            int tested = BagDataset.load(out.resolve("fold-" + f + "/heldout")).size();
            int trained = BagDataset.load(out.resolve("fold-" + f + "/site-1")).size()
                    + BagDataset.load(out.resolve("fold-" + f + "/site-2")).size();
            assertThat(tested + trained).isEqualTo(22);
        }
        assertThat(out.resolve("manifest.json")).exists();
    }

    @Test
    void refusesANonEmptyOutputWithoutForceAndReplacesItWithForce() throws IOException {
        Path data = dataSet(8, 8);
        Path out = tmp.resolve("out");
        assertThat(run("--data", data.toString(), "--out", out.toString(), "--folds", "4", "--sites", "2")).isZero();

        assertThat(run("--data", data.toString(), "--out", out.toString())).isEqualTo(2);
        assertThat(stderr.toString()).contains("is not empty", "--force");

        assertThat(run("--data", data.toString(), "--out", out.toString(), "--sites", "2", "--force")).isZero();
        assertThat(out.resolve("fold-1")).doesNotExist();
        assertThat(BagDataset.load(out.resolve("heldout")).size()).isEqualTo(4);
    }

    @Test
    void badInputIsRefusedWithAMessageSayingWhatToDo() throws IOException {
        Path data = dataSet(20, 3);
        assertThat(run("--data", data.toString(), "--out", tmp.resolve("o1").toString(), "--folds", "5")).isEqualTo(2);
        assertThat(stderr.toString()).contains("label 1 has only 3 bags", "use --folds 3 or fewer");

        assertThat(run("--data", tmp.toString() + "/nothing", "--out", tmp.resolve("o2").toString())).isEqualTo(2);
        assertThat(stderr.toString()).contains("not a folder");

        assertThat(run("--data", data.toString(), "--out", data.resolve("split").toString())).isEqualTo(2);
        assertThat(stderr.toString()).contains("overlaps the data set folder");
        assertThat(data.resolve("split")).doesNotExist();
    }
}
