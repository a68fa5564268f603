package org.fedmil.tensor;

import java.util.Arrays;
import java.util.Objects;

/**
 * One named float32 tensor, row-major. The values array is not copied: callers that keep a reference and
 * mutate it change the tensor.
 */
public record NamedTensor(String name, long[] shape, float[] values) {

    public NamedTensor {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(values, "values");
        if (name.isBlank()) {
            throw new IllegalArgumentException("tensor name must not be blank");
        }
        long elements = elementCount(shape);
        if (elements != values.length) {
            throw new IllegalArgumentException("tensor '" + name + "' has shape " + Arrays.toString(shape)
                    + " (" + elements + " elements) but " + values.length + " values");
        }
        shape = shape.clone();
    }

    /** Number of elements a tensor of this shape holds; a scalar (empty shape) holds one. */
    public static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public int size() {
        return values.length;
    }

    public long byteSize() {
        return 4L * values.length;
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NamedTensor t && name.equals(t.name) && Arrays.equals(shape, t.shape)
                && Arrays.equals(values, t.values);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, Arrays.hashCode(shape), Arrays.hashCode(values));
    }

    @Override
    public String toString() {
        return "NamedTensor[" + name + " " + Arrays.toString(shape) + "]";
    }
}
