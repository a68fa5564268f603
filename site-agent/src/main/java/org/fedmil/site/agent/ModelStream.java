package org.fedmil.site.agent;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Iterator;
import org.fedmil.proto.v1.ModelChunk;
import org.fedmil.proto.v1.ModelHeader;
import org.fedmil.protocol.Wire;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorStreamDecoder;
import org.fedmil.util.Sha256;

/**
 * A model download's stream, read as it arrives: the header checked, then each chunk hashed, handed to the sink and
 * decoded into the model's tensors, so the site holds the tensors and one chunk, never the whole byte form beside
 * them; the sink hears that the download completed only after the SHA-256 check passed.
 */
final class ModelStream {

    private ModelStream() {
    }

    /** @param progressed called whenever bytes arrived (the idle deadline) */
    static CoordinatorClient.DownloadedModel receive(Iterator<ModelChunk> chunks, long version, byte[] expectedSha256,
                                                     Runnable progressed, DownloadSink sink) {
        if (!chunks.hasNext()) {
            throw new IllegalStateException("coordinator sent an empty model stream for version " + version);
        }
        ModelChunk first = chunks.next();
        if (!first.hasHeader()) {
            throw new IllegalStateException("coordinator's model stream did not start with a header");
        }
        ModelHeader header = first.getHeader();
        var specs = Wire.fromProto(header.getTensorsList());
        if (header.getTotalBytes() != TensorCodec.byteSize(specs)) {
            throw new IllegalStateException("model header announces " + header.getTotalBytes()
                    + " bytes but its tensors need " + TensorCodec.byteSize(specs));
        }
        TensorStreamDecoder tensors = new TensorStreamDecoder(specs);
        MessageDigest digest = Sha256.newDigest();
        sink.begin(specs);
        progressed.run();
        while (chunks.hasNext()) {
            ByteString data = chunks.next().getData();
            if (data.size() > Wire.MAX_CHUNK_BYTES) {
                throw new IllegalArgumentException("chunk of " + data.size() + " bytes exceeds the protocol's "
                        + Wire.MAX_CHUNK_BYTES + "-byte limit");
            }
            for (ByteBuffer piece : data.asReadOnlyByteBufferList()) {
                digest.update(piece.duplicate());
                sink.accept(piece.duplicate());
                tensors.accept(piece);
            }
            progressed.run();
        }
        if (!tensors.complete()) {
            throw new IllegalStateException("model stream ended after " + tensors.received() + " of "
                    + tensors.expected() + " bytes");
        }
        byte[] sha = digest.digest();
        if (!MessageDigest.isEqual(sha, expectedSha256) || !MessageDigest.isEqual(sha, header.getSha256().toByteArray())) {
            throw new IllegalStateException("global model v" + version + " failed its integrity check: received bytes hash to "
                    + Sha256.hex(sha) + ", the task announced " + Sha256.hex(expectedSha256));
        }
        TensorSet weights = tensors.tensors();
        sink.complete(weights);
        return new CoordinatorClient.DownloadedModel(header.getModelVersion(), weights, sha);
    }
}
