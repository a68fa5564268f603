package org.fedmil.site.agent;

import org.fedmil.config.TlsFiles;
import org.fedmil.mil.data.LabelCounts;
import org.fedmil.pki.PemFiles;
import org.fedmil.proto.v1.DataShape;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.proto.v1.LabelCount;
import org.fedmil.protocol.JoinWire;
import org.fedmil.site.train.SiteData;

/** What a site tells the coordinator when it joins: the same for the agent and for {@code fedmil site check}. */
public final class JoinRequests {

    private JoinRequests() {
    }

    /**
     * @param device the DJL device the site trains on, as {@code Devices.describe} names it
     */
    public static JoinRequest of(SiteData data, String device) {
        return of(data, device, java.util.Optional.empty());
    }

    /**
     * As above, declaring {@code encoderSha256} (the site's encoder_file) as the site's encoder when its data folder
     * records none: a site that fine-tunes an encoder brings tiles, not features.json.
     */
    public static JoinRequest of(SiteData data, String device, java.util.Optional<String> encoderSha256) {
        LabelCounts counts = data.labelCounts();
        DataShape shape = data.isTiles() ? DataShape.newBuilder().setKind("tiles").build()
                : DataShape.newBuilder().setKind("features").setFeatures(data.featureDim()).build();
        return JoinRequest.newBuilder()
                .setSoftwareVersion(SiteAgent.SOFTWARE_VERSION)
                .setDevice(device)
                .addBagsPerLabel(LabelCount.newBuilder().setLabel(0).setBags(counts.negatives()))
                .addBagsPerLabel(LabelCount.newBuilder().setLabel(1).setBags(counts.positives()))
                .setFeatureEncoderSha256(data.featureEncoderSha256().or(() -> encoderSha256).orElse(""))
                .setDataShape(shape)
                .build();
    }

    /**
     * {@link #of}, signed with the site's certificate key: the declaration every weight the site later claims is
     * bounded by, in the site's own signature (the coordinator keeps it in the round log).
     */
    public static JoinRequest signed(SiteData data, String device, java.util.Optional<String> encoderSha256,
                                     TlsFiles tls) {
        String site = org.fedmil.tls.PeerIdentity.of(PemFiles.readCertificate(tls.cert())).commonName();
        return JoinWire.signed(site, of(data, device, encoderSha256), PemFiles.readPrivateKey(tls.key()));
    }
}
