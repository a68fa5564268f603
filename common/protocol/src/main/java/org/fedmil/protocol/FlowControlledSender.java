package org.fedmil.protocol;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Iterator;

/**
 * Sends a server-streaming response (a model download: a header, then up to 1 MiB chunks) only as fast as the
 * client takes it, without a thread per stream: messages go out while the call {@code isReady()}, and gRPC's
 * on-ready callback sends the next ones when the HTTP/2 flow-control window opens again.
 *
 * <p>Why: handing gRPC every chunk at once (what {@code downloadModel} did) serialises the whole model into Netty's
 * outbound buffers at the start of every download, so a slow or stalled site made the coordinator hold a copy of
 * the model in direct memory until it was read (one per such site), and the writes queued behind it. Honouring
 * {@code isReady} keeps at most the flow-control window plus one chunk in flight per download. A cancelled call
 * (the site gone, its deadline passed) stops the sending and drops the iterator; nothing is sent after it.
 *
 * <p>gRPC runs a call's callbacks (the first {@link #run} from the handler, on-ready, on-cancel) one at a time;
 * the lock is for memory visibility between its executor's threads, not for contention.
 */
public final class FlowControlledSender<T> implements Runnable {

    private final ServerCallStreamObserver<T> call;
    private Iterator<? extends T> messages; // guarded by this; null once finished or cancelled
    private int sent; // guarded by this

    private FlowControlledSender(ServerCallStreamObserver<T> call, Iterator<? extends T> messages) {
        this.call = call;
        this.messages = messages;
    }

    /**
     * Starts sending {@code messages} then completing the call; returns at once (before all is sent). Must be
     * called from the service method itself, as gRPC takes the call's handlers only there.
     *
     * @param response the service method's response observer (a {@link ServerCallStreamObserver} in grpc-java)
     */
    public static <T> FlowControlledSender<T> start(StreamObserver<T> response, Iterator<? extends T> messages) {
        if (!(response instanceof ServerCallStreamObserver<T> call)) {
            throw new IllegalArgumentException("flow-controlled sending needs the server call's own response "
                    + "observer (a ServerCallStreamObserver), got " + response.getClass().getName()
                    + "; call start() from the service method with the observer gRPC passed in");
        }
        FlowControlledSender<T> sender = new FlowControlledSender<>(call, messages);
        call.setOnCancelHandler(sender::cancelled);
        call.setOnReadyHandler(sender);
        // the stream may have become ready before the handler was set; whatever the window takes now goes now
        sender.run();
        return sender;
    }

    /** Sends while the call is ready; completes the call after the last message. gRPC calls it when ready again. */
    @Override
    public synchronized void run() {
        if (messages == null) {
            return;
        }
        while (call.isReady() && messages.hasNext()) {
            call.onNext(messages.next());
            sent++;
        }
        if (!messages.hasNext()) {
            messages = null;
            call.onCompleted();
        }
    }

    private synchronized void cancelled() {
        messages = null;
    }

    /** Messages handed to gRPC so far. */
    public synchronized int sent() {
        return sent;
    }
}
