package org.fedmil.coordinator.admin;

import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.fedmil.coordinator.state.StateStore;
import org.fedmil.util.AtomicFiles;

/**
 * The sites the operator revoked, persisted as {@code revoked-sites.json} in the state folder (written atomically,
 * read at start), so a revoked site stays refused across coordinator restarts.
 *
 * <p>A revocation is by <b>site name</b> (the CN of OU=site certificates), not by one certificate: a renewed
 * certificate keeps the key and name but gets a new serial, and the older certificate stays valid until it
 * expires, so revoking one serial would leave the site the other. The fingerprint and serial of the certificate
 * the site last called with are recorded for the investigation. Only an explicit {@link #unrevoke} admits the
 * name again.
 */
public final class Revocations {

    public static final String FILE = "revoked-sites.json";

    /** One revoked site. Times are ISO-8601 UTC. */
    public record Entry(String site, String certSha256, String certSerial, String reason, String by, String time) {
    }

    private final Path file;
    private final Map<String, Entry> entries = new LinkedHashMap<>();

    private Revocations(Path file) {
        this.file = file;
    }

    /** Loads the list from {@code stateDir}, or starts an empty one. A file that does not parse stops the start. */
    public static Revocations load(Path stateDir) {
        Revocations r = new Revocations(stateDir.resolve(FILE));
        if (Files.exists(r.file)) {
            try {
                List<Entry> read = StateStore.JSON.readValue(r.file.toFile(), new TypeReference<List<Entry>>() {
                });
                read.forEach(e -> r.entries.put(e.site(), e));
            } catch (IOException e) {
                throw new IllegalStateException(r.file + " (the revoked sites) cannot be read: " + e.getMessage()
                        + "; fix or restore it before starting the coordinator, as starting without it would admit "
                        + "revoked sites", e);
            }
        }
        return r;
    }

    public synchronized boolean isRevoked(String site) {
        return entries.containsKey(site);
    }

    public synchronized Optional<Entry> entry(String site) {
        return Optional.ofNullable(entries.get(site));
    }

    public synchronized List<Entry> all() {
        return List.copyOf(entries.values());
    }

    /** Adds (or replaces) the site's revocation and writes the file before returning. */
    public synchronized void revoke(Entry entry) {
        Entry previous = entries.put(entry.site(), entry);
        try {
            save();
        } catch (UncheckedIOException e) {
            if (previous == null) {
                entries.remove(entry.site());
            } else {
                entries.put(entry.site(), previous);
            }
            throw e;
        }
    }

    /** Removes the site's revocation; false when it was not revoked. */
    public synchronized boolean unrevoke(String site) {
        Entry previous = entries.remove(site);
        if (previous == null) {
            return false;
        }
        try {
            save();
        } catch (UncheckedIOException e) {
            entries.put(site, previous);
            throw e;
        }
        return true;
    }

    private void save() {
        List<Entry> list = new ArrayList<>(entries.values());
        try {
            byte[] json = StateStore.JSON.writeValueAsBytes(list);
            AtomicFiles.write(file, out -> out.write(json));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
