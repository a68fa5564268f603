package org.fedmil.coordinator.round;

import java.util.Map;

/** What a site said about itself when it joined: never its identity, which comes from its certificate. */
public record SiteJoin(String softwareVersion, String device, Map<Integer, Long> bagsPerLabel,
                       String certificatePem, String featureEncoderSha256) {

    public SiteJoin {
        bagsPerLabel = Map.copyOf(bagsPerLabel);
        featureEncoderSha256 = featureEncoderSha256 == null ? "" : featureEncoderSha256;
    }

    /** A join that says nothing of a pretrained encoder (tile bags, or features of unknown origin). */
    public SiteJoin(String softwareVersion, String device, Map<Integer, Long> bagsPerLabel, String certificatePem) {
        this(softwareVersion, device, bagsPerLabel, certificatePem, "");
    }

    /** A join without the site's certificate, for plain-logic tests. */
    public SiteJoin(String softwareVersion, String device, Map<Integer, Long> bagsPerLabel) {
        this(softwareVersion, device, bagsPerLabel, "");
    }

    public long totalBags() {
        return bagsPerLabel.values().stream().mapToLong(Long::longValue).sum();
    }
}
