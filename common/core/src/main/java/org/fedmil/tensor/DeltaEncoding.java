package org.fedmil.tensor;

import java.util.Locale;

/**
 * How a site's delta travels. FLOAT32 is the plain wire form of {@link TensorCodec} and the
 * default; the others are lossy and shrink the upload, and the coordinator decodes them back to float32 before
 * any check or aggregation sees the delta.
 */
public enum DeltaEncoding {
    /** 4 bytes per value, exact. */
    FLOAT32("none"),
    /** IEEE 754 binary16, 2 bytes per value, round to nearest even: relative error ≤ 2⁻¹¹ in its normal range. */
    FLOAT16("float16"),
    /**
     * 1 byte per value: per tensor a float32 scale s = max|x| / 127 (4 bytes, first), then round(x / s) as a
     * signed byte; absolute error ≤ s / 2 per value.
     */
    INT8("int8");

    private final String configName;

    DeltaEncoding(String configName) {
        this.configName = configName;
    }

    /** The value of {@code training.compression} in coordinator.yaml. */
    public String configName() {
        return configName;
    }

    public static DeltaEncoding fromConfigName(String name) {
        for (DeltaEncoding e : values()) {
            if (e.configName.equals(name.toLowerCase(Locale.ROOT))) {
                return e;
            }
        }
        throw new IllegalArgumentException("compression must be none, float16 or int8, got '" + name + "'");
    }
}
