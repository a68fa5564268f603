package org.fedmil.mil.archfixture;

import io.grpc.Status;

/** Breaks the MIL library's rule on purpose, for RulesCatchViolationsTest: it knows gRPC. */
public class MilReachingTheWire {

    Status status;
}
