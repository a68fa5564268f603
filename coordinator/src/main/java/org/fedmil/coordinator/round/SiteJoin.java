package org.fedmil.coordinator.round;

import java.util.Map;

/**
 * What a site said about itself when it joined: never its identity, which comes from its certificate.
 *
 * @param dataShape what its bags hold; null when the site did not say (an older agent), and then not checked
 * @param checkOnly the site only asks whether it would be admitted ({@code fedmil site check}): nothing changes
 * @param declaration the site's signed join statement ({@code fedmil.join.v1}) of all of the above, checked against
 *                    its certificate; null when the site signed none (an older agent)
 */
public record SiteJoin(String softwareVersion, String device, Map<Integer, Long> bagsPerLabel,
                       String certificatePem, String featureEncoderSha256, DataShape dataShape, boolean checkOnly,
                       org.fedmil.audit.SignedStatement declaration) {

    /** A join the site did not sign. */
    public SiteJoin(String softwareVersion, String device, Map<Integer, Long> bagsPerLabel, String certificatePem,
                    String featureEncoderSha256, DataShape dataShape, boolean checkOnly) {
        this(softwareVersion, device, bagsPerLabel, certificatePem, featureEncoderSha256, dataShape, checkOnly, null);
    }

    public SiteJoin {
        bagsPerLabel = Map.copyOf(bagsPerLabel);
        featureEncoderSha256 = featureEncoderSha256 == null ? "" : featureEncoderSha256;
    }

    /** A join that does not say what its bags hold. */
    public SiteJoin(String softwareVersion, String device, Map<Integer, Long> bagsPerLabel, String certificatePem,
                    String featureEncoderSha256) {
        this(softwareVersion, device, bagsPerLabel, certificatePem, featureEncoderSha256, null, false);
    }

    /** A join that says nothing of a pretrained encoder (tile bags, or features of unknown origin). */
    public SiteJoin(String softwareVersion, String device, Map<Integer, Long> bagsPerLabel, String certificatePem) {
        this(softwareVersion, device, bagsPerLabel, certificatePem, "");
    }

    /** A join without the site's certificate, for plain-logic tests. */
    public SiteJoin(String softwareVersion, String device, Map<Integer, Long> bagsPerLabel) {
        this(softwareVersion, device, bagsPerLabel, "");
    }

    /**
     * Whether {@code other} declares the same as this join, whatever its signature (an ECDSA signature of the same
     * statement differs each time it is made).
     */
    public boolean sameDeclaration(SiteJoin other) {
        return other != null && new SiteJoin(softwareVersion, device, bagsPerLabel, certificatePem,
                featureEncoderSha256, dataShape, checkOnly).equals(new SiteJoin(other.softwareVersion, other.device,
                other.bagsPerLabel, other.certificatePem, other.featureEncoderSha256, other.dataShape,
                other.checkOnly));
    }

    /** @throws ArithmeticException when the total does not fit in a long (a join like that is refused) */
    public long totalBags() {
        return bagsPerLabel.values().stream().mapToLong(Long::longValue).reduce(0, Math::addExact);
    }
}
