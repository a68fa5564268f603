package org.fedmil.tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * An ordered list of uniquely named tensors: a model's weights or a delta. The order is part of the wire
 * format (bytes are concatenated in this order), so it is fixed by whoever builds the set.
 */
public final class TensorSet {

    private final List<NamedTensor> tensors;

    public TensorSet(List<NamedTensor> tensors) {
        Objects.requireNonNull(tensors, "tensors");
        Set<String> names = new HashSet<>();
        for (NamedTensor t : tensors) {
            if (!names.add(t.name())) {
                throw new IllegalArgumentException("duplicate tensor name '" + t.name() + "'");
            }
        }
        this.tensors = List.copyOf(tensors);
    }

    public List<NamedTensor> tensors() {
        return tensors;
    }

    public List<TensorSpec> specs() {
        List<TensorSpec> specs = new ArrayList<>(tensors.size());
        for (NamedTensor t : tensors) {
            specs.add(new TensorSpec(t.name(), t.shape()));
        }
        return Collections.unmodifiableList(specs);
    }

    public NamedTensor get(String name) {
        for (NamedTensor t : tensors) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("no tensor named '" + name + "'; have " + specs());
    }

    public long parameterCount() {
        long n = 0;
        for (NamedTensor t : tensors) {
            n += t.size();
        }
        return n;
    }

    public long byteSize() {
        return 4L * parameterCount();
    }

    /** this − base, tensor by tensor; both sets must have the same specs in the same order. */
    public TensorSet minus(TensorSet base) {
        requireSameSpecs(base);
        List<NamedTensor> out = new ArrayList<>(tensors.size());
        for (int i = 0; i < tensors.size(); i++) {
            float[] a = tensors.get(i).values();
            float[] b = base.tensors.get(i).values();
            float[] d = new float[a.length];
            for (int j = 0; j < a.length; j++) {
                d[j] = a[j] - b[j];
            }
            out.add(new NamedTensor(tensors.get(i).name(), tensors.get(i).shape(), d));
        }
        return new TensorSet(out);
    }

    /** this + other, tensor by tensor; both sets must have the same specs in the same order. */
    public TensorSet plus(TensorSet other) {
        requireSameSpecs(other);
        List<NamedTensor> out = new ArrayList<>(tensors.size());
        for (int i = 0; i < tensors.size(); i++) {
            float[] a = tensors.get(i).values();
            float[] b = other.tensors.get(i).values();
            float[] d = new float[a.length];
            for (int j = 0; j < a.length; j++) {
                d[j] = a[j] + b[j];
            }
            out.add(new NamedTensor(tensors.get(i).name(), tensors.get(i).shape(), d));
        }
        return new TensorSet(out);
    }

    public void requireSameSpecs(TensorSet other) {
        if (!specs().equals(other.specs())) {
            throw new IllegalArgumentException("tensor specs differ: " + specs() + " vs " + other.specs());
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSet s && tensors.equals(s.tensors);
    }

    @Override
    public int hashCode() {
        return tensors.hashCode();
    }

    @Override
    public String toString() {
        return "TensorSet" + specs();
    }
}
