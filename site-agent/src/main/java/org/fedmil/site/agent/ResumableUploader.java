package org.fedmil.site.agent;

import java.time.Duration;
import org.fedmil.proto.v1.UpdateHeader;
import org.fedmil.proto.v1.UploadReceipt;
import org.fedmil.site.outbound.OutboundPipeline;
import org.fedmil.site.outbound.WireBytes;

/** The agent's uploads: resumable, each chunk read from the bytes as the stream takes it. */
record ResumableUploader(CoordinatorClient client, Duration patience) implements OutboundPipeline.Uploader {

    @Override
    public UploadReceipt upload(UpdateHeader header, byte[] bytes) throws InterruptedException {
        return client.resumableUpload(header, bytes, patience);
    }

    @Override
    public UploadReceipt upload(UpdateHeader header, WireBytes bytes) throws InterruptedException {
        return client.resumableUpload(header, bytes, patience);
    }
}
