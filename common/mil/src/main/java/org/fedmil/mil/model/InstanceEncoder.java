package org.fedmil.mil.model;

import ai.djl.nn.Block;

import java.util.List;

/**
 * Maps one bag's instances [n, …] to embeddings [n, hidden_dim]. This is the seam where a CNN over image tiles
 * replaces the MLP used for pre-extracted feature bags; pooling and classifier do not care which one is in place.
 */
interface InstanceEncoder extends Block {

    /** The encoder's parameters, named {@code encoder.…}, in a fixed order. */
    List<NamedParameter> namedParameters();
}
