package org.fedmil.mil.model;

import ai.djl.nn.Parameter;

/**
 * A DJL parameter under the name it travels by. DJL's own parameter ids embed block counters that depend on
 * construction order, so every party would see different names for the same tensor.
 */
record NamedParameter(String name, Parameter parameter) {
}
