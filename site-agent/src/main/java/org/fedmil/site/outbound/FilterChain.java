package org.fedmil.site.outbound;

import java.util.ArrayList;
import java.util.List;

/** Filters applied in order; the first that throws stops the delta. */
public record FilterChain(List<OutboundFilter> filters) implements OutboundFilter {

    public FilterChain {
        filters = List.copyOf(filters);
    }

    public static FilterChain of(OutboundFilter... filters) {
        return new FilterChain(List.of(filters));
    }

    /** This chain with {@code next} after its last filter. */
    public FilterChain then(OutboundFilter next) {
        List<OutboundFilter> all = new ArrayList<>(filters);
        all.add(next);
        return new FilterChain(all);
    }

    @Override
    public Outbound apply(Outbound update) {
        Outbound out = update;
        for (OutboundFilter f : filters) {
            out = f.apply(out);
        }
        return out;
    }
}
