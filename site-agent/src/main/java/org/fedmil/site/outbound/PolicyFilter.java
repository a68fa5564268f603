package org.fedmil.site.outbound;

import org.fedmil.site.policy.PolicyGuard;
import org.fedmil.site.policy.PolicyViolation;

/**
 * The site policy's word on a trained delta: it leaves only when it rests on at least policy.min_bags bags. (The
 * policy's checks of the task itself, model and DP settings and max_rounds, come before training: see
 * {@link OutboundPipeline#admit}.)
 */
public final class PolicyFilter implements OutboundFilter {

    private final PolicyGuard policy;

    public PolicyFilter(PolicyGuard policy) {
        this.policy = policy;
    }

    /** @throws PolicyViolation naming the rule the delta breaks */
    @Override
    public Outbound apply(Outbound update) {
        policy.checkBags(update.trainingBags());
        return update;
    }
}
