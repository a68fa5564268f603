package org.fedmil.site.agent;

import java.nio.ByteBuffer;
import java.util.List;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;

/**
 * Where a model download's bytes go besides the model's tensors, as they arrive: the site's copy of the global model
 * file is written from them instead of encoding the model a second time. A sink never fails the download: what it
 * cannot do it gives up on by itself.
 */
public interface DownloadSink extends AutoCloseable {

    /** A sink that keeps nothing. */
    DownloadSink NONE = new DownloadSink() {
    };

    /** The header was read: these tensors' bytes follow. */
    default void begin(List<TensorSpec> tensors) {
    }

    /** The next bytes (a read-only view, from its position to its limit). */
    default void accept(ByteBuffer bytes) {
    }

    /** Every byte arrived and hashed to the announced SHA-256; {@code weights} are those bytes decoded. */
    default void complete(TensorSet weights) {
    }

    /** The download ended: without {@link #complete} first, whatever was begun is abandoned. */
    @Override
    default void close() {
    }
}
