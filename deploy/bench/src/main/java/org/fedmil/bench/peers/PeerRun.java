package org.fedmil.bench.peers;

import java.util.Arrays;
import java.util.List;

/**
 * One framework's federation of one benchmark run, as measured.
 *
 * @param framework     "FedMIL" or "Flower"
 * @param sites         K, the sites (clients) that trained every round
 * @param server        the coordinator's (server's) peak RSS and CPU
 * @param clients       each site's (client's)
 * @param roundSeconds  every round's duration by the framework's own clock, round 1 first
 * @param loadBefore    the 1-minute load average when the run started
 * @param loadAfter     and when it ended
 * @param wire          the bytes between the clients and the server over the whole run ({@link WireRelay})
 */
record PeerRun(String framework, int sites, ProcessProbe.Reading server, List<ProcessProbe.Reading> clients,
               double[] roundSeconds, double loadBefore, double loadAfter, WireRelay.Counts wire) {

    PeerRun labelled(String name) {
        return new PeerRun(name, sites, server, clients, roundSeconds, loadBefore, loadAfter, wire);
    }

    PeerRun withoutWire() {
        return new PeerRun(framework, sites, server, clients, roundSeconds, loadBefore, loadAfter,
                WireRelay.Counts.NONE);
    }

    /** Wire bytes per site and round in MiB, both ways together; NaN when not counted. */
    double wireMibPerSiteRound() {
        return wire.measured() && roundSeconds.length > 0
                ? wire.total() / 1048576.0 / sites / roundSeconds.length : Double.NaN;
    }

    /** The median of the rounds after the first two (start-up, first connections, JIT); all but the first if fewer. */
    double steadyRoundSeconds() {
        int skip = roundSeconds.length >= 4 ? 2 : Math.min(1, roundSeconds.length - 1);
        double[] s = Arrays.copyOfRange(roundSeconds, skip, roundSeconds.length);
        Arrays.sort(s);
        if (s.length == 0) {
            return Double.NaN;
        }
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    double maxClientRssMib() {
        return clients.stream().mapToDouble(ProcessProbe.Reading::peakRssMib).max().orElse(Double.NaN);
    }

    double minClientRssMib() {
        return clients.stream().mapToDouble(ProcessProbe.Reading::peakRssMib).min().orElse(Double.NaN);
    }

    double meanClientCpu() {
        return clients.stream().mapToDouble(ProcessProbe.Reading::cpuSeconds).average().orElse(Double.NaN);
    }

    double clientRssSumMib() {
        return clients.stream().mapToDouble(ProcessProbe.Reading::peakRssMib).sum();
    }
}
