package org.fedmil.mil.model;

import ai.djl.nn.AbstractBlock;
import ai.djl.nn.core.Linear;

import java.util.ArrayList;
import java.util.List;

/** Shared plumbing for the blocks of a {@link MilModel}. */
abstract class AbstractMilBlock extends AbstractBlock {

    private static final byte VERSION = 1;

    AbstractMilBlock() {
        super(VERSION);
    }

    /**
     * A Linear block's parameters under {@code prefix.weight} (Glorot) and, if it has one, {@code prefix.bias}
     * (zeros).
     */
    static List<NamedParameter> linearParameters(String prefix, Linear linear, boolean hasBias) {
        List<NamedParameter> out = new ArrayList<>(2);
        out.add(new NamedParameter(prefix + ".weight", linear.getDirectParameters().get("weight"),
                NamedParameter.Init.GLOROT_UNIFORM));
        if (hasBias) {
            out.add(new NamedParameter(prefix + ".bias", linear.getDirectParameters().get("bias"),
                    NamedParameter.Init.ZEROS));
        }
        return out;
    }
}
