package org.fedmil.secagg;

import java.util.List;

/**
 * Step 3: the coordinator's list of the sites whose masked input it holds (their self-mask shares are asked for)
 * and of those that shared keys but sent no input (their masking-key shares are asked for). Disjoint: a site
 * never reveals both secrets of one peer.
 */
public record UnmaskRequest(List<String> survivors, List<String> dropped) {
    public UnmaskRequest {
        survivors = List.copyOf(survivors);
        dropped = List.copyOf(dropped);
    }
}
