package org.fedmil.site.outbound;

/**
 * One step a delta passes on its way out of the site (as NVIDIA FLARE's outbound task-result filters): it returns
 * the delta as the next step should see it, or throws to stop it from leaving.
 */
@FunctionalInterface
public interface OutboundFilter {

    Outbound apply(Outbound update);
}
