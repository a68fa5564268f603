package org.fedmil.mil.model;

import java.util.ArrayList;
import java.util.List;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;

/**
 * The instance encoder's share of a model's tensors: those named {@code encoder.…}. Federated self-supervised
 * pretraining trains and sends only these; pooling and classifier stay as they were until supervised rounds.
 */
public final class EncoderPart {

    /** Every encoder tensor's name starts with this, for the MLP and the CNN encoder alike. */
    public static final String PREFIX = "encoder.";

    private EncoderPart() {
    }

    public static boolean isEncoder(String tensorName) {
        return tensorName.startsWith(PREFIX);
    }

    /** The encoder's specs among {@code specs}, in their order. */
    public static List<TensorSpec> specs(List<TensorSpec> specs) {
        return specs.stream().filter(s -> isEncoder(s.name())).toList();
    }

    /** The encoder's tensors of {@code all}, in their order. */
    public static TensorSet of(TensorSet all) {
        List<NamedTensor> out = all.tensors().stream().filter(t -> isEncoder(t.name())).toList();
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no tensor named " + PREFIX + "… among " + all.specs()
                    + "; these are not the weights of a MIL model");
        }
        return new TensorSet(out);
    }

    /**
     * {@code all} with its encoder tensors replaced by {@code encoder}'s, every other tensor kept; the order of
     * {@code all} is kept.
     *
     * @throws IllegalArgumentException if {@code encoder} does not hold exactly the encoder tensors of {@code all}
     */
    public static TensorSet replace(TensorSet all, TensorSet encoder) {
        if (!encoder.specs().equals(specs(all.specs()))) {
            throw new IllegalArgumentException("encoder tensors " + encoder.specs() + " do not match the model's "
                    + specs(all.specs()));
        }
        List<NamedTensor> out = new ArrayList<>(all.tensors().size());
        for (NamedTensor t : all.tensors()) {
            out.add(isEncoder(t.name()) ? encoder.get(t.name()) : t);
        }
        return new TensorSet(out);
    }
}
