package org.fedmil.coordinator.server;

import java.util.List;
import org.fedmil.coordinator.round.UpdateRefusal;
import org.fedmil.protocol.Wire;
import org.fedmil.tensor.TensorSpec;

/**
 * The tensor list of an upload header, checked as the site sent it and before anything is made of it: how many
 * tensors, their names, ranks and dimensions, and that their element counts neither overflow nor exceed the
 * model's. Only then are specs built, so a hostile header cannot make the coordinator compute with a negative,
 * zero or overflowing size, nor allocate for one. Every problem is a {@code WRONG_TENSORS} refusal.
 */
final class HeaderTensors {

    /** Longest tensor name a header may carry (the model's names are a few dozen characters). */
    static final int MAX_NAME_LENGTH = 256;
    /** Most dimensions a tensor may have; the model's have at most 4. */
    static final int MAX_RANK = 8;

    private HeaderTensors() {
    }

    /**
     * @param model the tensors of the round's model (the most a header may describe)
     * @return the header's tensors as specs
     */
    static List<TensorSpec> check(List<org.fedmil.proto.v1.TensorSpec> sent, List<TensorSpec> model) {
        if (sent.size() > model.size()) {
            throw refusal("the header lists " + sent.size() + " tensors; the federation's model has "
                    + model.size());
        }
        long modelElements = 0;
        for (TensorSpec s : model) {
            modelElements += s.elementCount();
        }
        long total = 0;
        for (int i = 0; i < sent.size(); i++) {
            org.fedmil.proto.v1.TensorSpec t = sent.get(i);
            String name = SiteText.TENSOR_NAME.shown(t.getName());
            if (!SiteText.TENSOR_NAME.allows(t.getName())) {
                throw refusal("tensor " + (i + 1) + "'s name " + name + " is not 1–" + MAX_NAME_LENGTH
                        + " printable ASCII characters");
            }
            if (t.getShapeCount() > MAX_RANK) {
                throw refusal("tensor " + name + " has " + t.getShapeCount() + " dimensions; at most " + MAX_RANK
                        + " are accepted");
            }
            long elements = 1;
            for (int d = 0; d < t.getShapeCount(); d++) {
                long dim = t.getShape(d);
                if (dim <= 0) {
                    throw refusal("tensor " + name + " has dimension " + dim + " at axis " + d
                            + "; every dimension must be positive");
                }
                if (dim > modelElements || elements > modelElements / dim) {
                    throw refusal("tensor " + name + "'s shape " + t.getShapeList() + " holds more elements than "
                            + "the whole model (" + modelElements + ")");
                }
                elements *= dim;
            }
            total += elements;
            if (total > modelElements) {
                throw refusal("the header's tensors hold more than the model's " + modelElements + " elements");
            }
        }
        return Wire.fromProto(sent);
    }

    private static RuntimeException refusal(String what) {
        return UpdateRefusal.WRONG_TENSORS.because(what + "; send the tensors of the round's model, as its task "
                + "names them");
    }
}
