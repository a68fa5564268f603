package org.fedmil.coordinator.round;

import java.util.Map;

/** What a site said about itself when it joined: never its identity, which comes from its certificate. */
public record SiteJoin(String softwareVersion, String device, Map<Integer, Long> bagsPerLabel,
                       String certificatePem) {

    public SiteJoin {
        bagsPerLabel = Map.copyOf(bagsPerLabel);
    }

    /** A join without the site's certificate, for plain-logic tests. */
    public SiteJoin(String softwareVersion, String device, Map<Integer, Long> bagsPerLabel) {
        this(softwareVersion, device, bagsPerLabel, "");
    }

    public long totalBags() {
        return bagsPerLabel.values().stream().mapToLong(Long::longValue).sum();
    }
}
