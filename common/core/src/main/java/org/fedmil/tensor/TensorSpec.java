package org.fedmil.tensor;

import java.util.Arrays;
import java.util.Objects;

/** The name and shape of a float32 tensor, without its values: what travels in headers. */
public record TensorSpec(String name, long[] shape) {

    public TensorSpec {
        Objects.requireNonNull(name, "name");
        shape = shape.clone();
        NamedTensor.elementCount(shape);
    }

    public long elementCount() {
        return NamedTensor.elementCount(shape);
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec s && name.equals(s.name) && Arrays.equals(shape, s.shape);
    }

    @Override
    public int hashCode() {
        return 31 * name.hashCode() + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
