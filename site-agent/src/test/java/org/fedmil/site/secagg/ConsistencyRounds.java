package org.fedmil.site.secagg;

import java.util.List;
import java.util.Map;
import org.fedmil.secagg.KeyAdvertisement;
import org.fedmil.protocol.SecAggWire;
import org.fedmil.secagg.SecAggServer;
import org.fedmil.secagg.UnmaskRequest;

/** The consistency round and the unmask step of every session, as an honest coordinator relays them. */
final class ConsistencyRounds {

    private ConsistencyRounds() {
    }

    /**
     * Every session signs {@code request}'s survivors (the coordinator adds the certificate of the site's roster
     * entry, as its TLS handshake proved it), then unmasks with the signatures the server forwards to it.
     */
    static void signAndUnmask(SecAggServer server, Map<String, SecAggSession> sessions, UnmaskRequest request,
                              List<KeyAdvertisement> roster) {
        Map<String, byte[]> certificates = new java.util.TreeMap<>();
        roster.forEach(k -> certificates.put(k.site(), k.certificate()));
        sessions.forEach((site, s) -> server.receive(SecAggWire.fromProto(site, certificates.get(site),
                s.signSurvivors(request))));
        sessions.forEach((site, s) -> server.receive(SecAggWire.fromProto(site,
                s.unmask(request, server.survivorSignaturesFor(site)))));
    }
}
