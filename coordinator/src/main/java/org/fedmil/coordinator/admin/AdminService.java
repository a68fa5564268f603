package org.fedmil.coordinator.admin;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.function.Supplier;
import org.fedmil.proto.v1.AbortRequest;
import org.fedmil.proto.v1.AdminGrpc;
import org.fedmil.proto.v1.FederationStatus;
import org.fedmil.proto.v1.PauseRequest;
import org.fedmil.proto.v1.ResumeRequest;
import org.fedmil.proto.v1.RevokeRequest;
import org.fedmil.proto.v1.SiteStatus;
import org.fedmil.proto.v1.StatusRequest;
import org.fedmil.proto.v1.UnrevokeRequest;
import org.fedmil.tls.PeerIdentity;

/**
 * The {@code Admin} gRPC service: maps each call to {@link AdminControl}. Registered behind
 * {@code PeerIdentityInterceptor.requiring(Role.ADMIN)}, so only admin certificates reach it.
 */
public final class AdminService extends AdminGrpc.AdminImplBase {

    private final AdminControl control;

    public AdminService(AdminControl control) {
        this.control = control;
    }

    @Override
    public void status(StatusRequest request, StreamObserver<FederationStatus> response) {
        answer(response, control::status);
    }

    @Override
    public void pause(PauseRequest request, StreamObserver<FederationStatus> response) {
        String by = admin();
        answer(response, () -> control.pause(by));
    }

    @Override
    public void resume(ResumeRequest request, StreamObserver<FederationStatus> response) {
        String by = admin();
        answer(response, () -> control.resume(by));
    }

    @Override
    public void abort(AbortRequest request, StreamObserver<FederationStatus> response) {
        String by = admin();
        answer(response, () -> control.abort(request.getReason(), by));
    }

    @Override
    public void revoke(RevokeRequest request, StreamObserver<FederationStatus> response) {
        String by = admin();
        answer(response, () -> control.revoke(request.getSite(), request.getReason(), by));
    }

    @Override
    public void unrevoke(UnrevokeRequest request, StreamObserver<FederationStatus> response) {
        String by = admin();
        answer(response, () -> control.unrevoke(request.getSite(), request.getReason(), by));
    }

    private static String admin() {
        return PeerIdentity.current().commonName();
    }

    private static void answer(StreamObserver<FederationStatus> response, Supplier<AdminControl.Status> action) {
        AdminControl.Status s;
        try {
            s = action.get();
        } catch (IllegalArgumentException e) {
            response.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return;
        }
        response.onNext(toProto(s));
        response.onCompleted();
    }

    static FederationStatus toProto(AdminControl.Status s) {
        FederationStatus.Builder b = FederationStatus.newBuilder()
                .setFederationId(s.federationId())
                .setPhase(s.phase())
                .setPaused(s.paused())
                .setPausedBy(s.pausedBy())
                .setPausedAt(s.pausedAt())
                .setRound(s.round())
                .setRounds(s.rounds())
                .setMinSites(s.minSites())
                .setUpdatesReceived(s.updatesReceived())
                .setModelVersion(s.modelVersion())
                .setMessage(s.message());
        for (AdminControl.Site site : s.sites()) {
            b.addSites(SiteStatus.newBuilder()
                    .setSite(site.site())
                    .setState(site.state())
                    .setLastSeen(site.lastSeen())
                    .setUpdatesAccepted(site.updatesAccepted())
                    .setCertSha256(site.certSha256())
                    .setRevokedReason(site.revokedReason())
                    .setRevokedBy(site.revokedBy()));
        }
        return b.build();
    }
}
