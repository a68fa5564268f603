package org.fedmil.site.outbound;

import org.fedmil.site.policy.PolicyViolation;
import org.fedmil.site.policy.SitePrivacy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Differential privacy at the site, when the round asks for it: clips and noises the delta and charges the release
 * to the site's privacy ledger. Each call is one release: the caller keeps the result for a resend rather than
 * calling again, since fresh noise for the same round would release the site's data twice.
 */
public final class DpFilter implements OutboundFilter {

    private static final Logger log = LoggerFactory.getLogger(DpFilter.class);

    private final SitePrivacy privacy;

    public DpFilter(SitePrivacy privacy) {
        this.privacy = privacy;
    }

    /** Refuses, before any training, a round whose release would exceed the site's lifetime budget. */
    public void requireBudgetFor(Outbound.Release release) {
        if (release.dpFedSgd().isPresent()) {
            // one sampled-Gaussian release per round; σ stands in for the charged z′ (equal up to KLS's τ term,
            // which underflows at the grid's variances), and the charge itself refuses past the budget again
            var d = release.dpFedSgd().get();
            privacy.requireBudgetFor(d.samplingRate(), d.noiseMultiplier(), 1);
        } else if (release.dpSgd().isPresent()) {
            privacy.requireBudgetFor(release.dpSgd().get().samplingRate(), release.noiseMultiplier().getAsDouble(),
                    release.dpSgd().get().steps());
        } else if (release.dp()) {
            privacy.requireBudgetFor(release.noiseMultiplier().getAsDouble());
        }
    }

    /** @throws PolicyViolation when the release would take the site past its lifetime budget */
    @Override
    public Outbound apply(Outbound update) {
        Outbound.Release r = update.release();
        if (!r.dp()) {
            return update;
        }
        if (r.distributed() || r.dpFedSgd().isPresent()) {
            // clipped, noised and charged in the mask step, where the round's threshold and scale are known
            return update;
        }
        double clip = r.clipNorm().getAsDouble();
        double sigma = r.noiseMultiplier().getAsDouble();
        if (r.dpSgd().isPresent()) {
            Outbound.Release.PerBag perBag = r.dpSgd().get();
            SitePrivacy.Release charged = privacy.chargeDpSgd(update.federationId(), update.round(), update.delta(),
                    clip, sigma, perBag.samplingRate(), perBag.steps());
            log.info("round {}: trained under DP-SGD (per-bag clip {}, sigma {}, q {}, {} steps); spent epsilon {} at "
                            + "delta {}", update.round(), clip, sigma, perBag.samplingRate(), perBag.steps(),
                    charged.claim().epsilonSpent(), charged.claim().delta());
            return update.noised(charged.delta(), charged.claim());
        }
        SitePrivacy.Release release = privacy.release(update.federationId(), update.round(), update.delta(), clip,
                sigma);
        log.info("round {}: delta L2 norm {} clipped to {} and noised (sigma {}); spent epsilon {} at delta {}",
                update.round(), release.normBeforeClipping(), clip, sigma, release.claim().epsilonSpent(),
                release.claim().delta());
        return update.noised(release.delta(), release.claim());
    }
}
