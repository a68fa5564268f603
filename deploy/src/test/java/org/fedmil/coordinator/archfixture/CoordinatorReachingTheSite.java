package org.fedmil.coordinator.archfixture;

import org.fedmil.site.config.SiteConfig;

/** Breaks the coordinator/site separation on purpose, for RulesCatchViolationsTest. */
public class CoordinatorReachingTheSite {

    SiteConfig site;
}
