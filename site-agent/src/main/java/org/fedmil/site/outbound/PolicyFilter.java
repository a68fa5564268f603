package org.fedmil.site.outbound;

import org.fedmil.site.policy.PolicyGuard;
import org.fedmil.site.policy.PolicyViolation;

/**
 * The site policy's word on a trained delta: it leaves only when it rests on at least policy.min_bags bags, and its
 * validation aggregates only when they do too (otherwise they are dropped and the delta goes without them). (The
 * policy's checks of the task itself, model and DP settings and max_rounds, come before training: see
 * {@link OutboundPipeline#admit}.)
 */
public final class PolicyFilter implements OutboundFilter {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(PolicyFilter.class);

    private final PolicyGuard policy;

    public PolicyFilter(PolicyGuard policy) {
        this.policy = policy;
    }

    /** @throws PolicyViolation naming the rule the delta breaks */
    @Override
    public Outbound apply(Outbound update) {
        policy.checkBags(update.trainingBags());
        if (update.validation().isPresent() && !policy.allowsAggregateOf(update.validation().get().bags())) {
            log.info("round {}: the validation result rests on {} bags, fewer than policy.min_bags; it is not sent",
                    update.round(), update.validation().get().bags());
            return update.withValidation(java.util.Optional.empty());
        }
        return update;
    }
}
