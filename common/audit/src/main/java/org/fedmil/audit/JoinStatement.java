package org.fedmil.audit;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a site signs when it joins, with its certificate's key: its declaration, the bag counts per label (which
 * bound every weight it may later claim), the shape of its data, the pretrained encoder its features come from,
 * its software and device. The coordinator checks the signature against the certificate the site connects with and
 * keeps statement and signature in the {@code site_joined} record, so an auditor with only the CA certificate sees
 * that the declaration the weights were bounded by is the one the site made, and the site cannot deny it.
 *
 * @param bagsPerLabel label → declared bags, as the site sent them
 * @param dataKind     "features" or "tiles"; empty when the site did not say
 * @param features     the feature dimension of feature bags (0 otherwise)
 */
public record JoinStatement(String site, Map<Integer, Long> bagsPerLabel, String dataKind, int features,
                            String featureEncoderSha256, String softwareVersion, String device) implements Statement {

    public static final String KIND = "fedmil.join.v1";

    public JoinStatement {
        bagsPerLabel = Map.copyOf(bagsPerLabel);
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public Map<String, Object> fields() {
        Map<String, Object> bags = new TreeMap<>();
        bagsPerLabel.forEach((label, n) -> bags.put(String.valueOf(label), n));
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("site", site);
        f.put("bags_per_label", bags);
        f.put("data_kind", dataKind);
        f.put("features", features);
        f.put("feature_encoder_sha256", featureEncoderSha256);
        f.put("software_version", softwareVersion);
        f.put("device", device);
        return f;
    }

    /** The declared bags of every label, summed; an overflowing total throws (no join like that is admitted). */
    public long totalBags() {
        return bagsPerLabel.values().stream().mapToLong(Long::longValue).reduce(0, Math::addExact);
    }

    public static JoinStatement parse(String json) {
        Map<String, Object> m = Statement.parse(json, KIND);
        if (!(m.get("bags_per_label") instanceof Map<?, ?> bags)) {
            throw new IllegalArgumentException("statement field 'bags_per_label' is missing or not an object");
        }
        Map<Integer, Long> counts = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : bags.entrySet()) {
            if (!(e.getValue() instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
                throw new IllegalArgumentException("bags_per_label." + e.getKey() + " is not a whole number");
            }
            try {
                counts.put(Integer.valueOf(String.valueOf(e.getKey())), n.longValue());
            } catch (NumberFormatException notALabel) {
                throw new IllegalArgumentException("bags_per_label names label '" + e.getKey() + "', not a number");
            }
        }
        return new JoinStatement(Statement.text(m, "site"), counts, Statement.text(m, "data_kind"),
                (int) Statement.number(m, "features"), Statement.text(m, "feature_encoder_sha256"),
                Statement.text(m, "software_version"), Statement.text(m, "device"));
    }
}
