package org.fedmil.coordinator.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UploadSpoolTest {

    @TempDir
    Path dir;

    @Test
    void anUploadOfSeveralMebibytesIsReadBackWholeFromTheSpool() {
        byte[] delta = new byte[(3 << 20) + 12345];
        new Random(11).nextBytes(delta);
        UploadSpool spool = new UploadSpool(dir);
        UploadSpool.Partial p = spool.open(UploadSpool.Key.of("site-1", 1, new byte[32]), delta.length, 1);
        for (int at = 0; at < delta.length; at += 1 << 20) {
            p.append(ByteString.copyFrom(delta, at, Math.min(1 << 20, delta.length - at)));
        }
        assertThat(p.complete()).isTrue();
        byte[] back = p.bytes();
        assertThat(back.length).isEqualTo(delta.length);
        assertThat(Arrays.equals(back, delta)).as("the bytes read back are the bytes spooled").isTrue();
    }

    @Test
    void onlyOneCompleteUploadIsHeldAtOnce() throws Exception {
        UploadSpool spool = new UploadSpool(dir);
        // the coordinator's heap rule counts one complete upload besides the global model and the round's sum
        int turns = 1;
        for (int i = 0; i < turns; i++) {
            spool.awaitWhole();
        }
        java.util.concurrent.CountDownLatch got = new java.util.concurrent.CountDownLatch(1);
        Thread late = new Thread(() -> {
            spool.awaitWhole();
            got.countDown();
        });
        late.start();
        assertThat(got.await(300, java.util.concurrent.TimeUnit.MILLISECONDS))
                .as("a second upload waits for the turn").isFalse();
        spool.doneWithWhole();
        assertThat(got.await(10, java.util.concurrent.TimeUnit.SECONDS)).as("and gets the turn given back").isTrue();
        late.join();
        for (int i = 0; i < turns; i++) {
            spool.doneWithWhole();
        }
        assertThat(spool.wholeTurnsFree()).isEqualTo(turns);
    }
}
