package org.fedmil.site.archfixture;

import org.fedmil.coordinator.round.FederationRun;

/** Breaks the coordinator/site separation on purpose, for RulesCatchViolationsTest. */
public class SiteReachingTheCoordinator {

    FederationRun run;
}
