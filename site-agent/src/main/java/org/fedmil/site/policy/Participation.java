package org.fedmil.site.policy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.fedmil.util.AtomicFiles;

/**
 * The training rounds this site has sent an update for, per federation, kept in the state folder
 * ({@code participation.json}) so that policy.max_rounds holds across restarts of the agent. A round is noted before
 * its update is sent: a crash between the two counts a round that was not sent, never the other way round.
 *
 * <p>A round is the pair (round number, base model version): a coordinator that asks for the same round number again
 * with another base model gets a second, different update from this site's data, so that counts again. Entries are
 * {@code "<round>@v<base version>"}; a bare {@code "<round>"} (written by older agents) stands for every base model
 * of that round, so an old file never counts fewer rounds than it did.
 */
public final class Participation {

    public static final String FILE = "participation.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final Map<String, TreeSet<String>> rounds;

    private Participation(Path file, Map<String, TreeSet<String>> rounds) {
        this.file = file;
        this.rounds = rounds;
    }

    public static Participation open(Path stateDir) {
        Path file = stateDir.resolve(FILE);
        if (!Files.exists(file)) {
            return new Participation(file, new TreeMap<>());
        }
        try {
            Map<String, TreeSet<String>> read = JSON.readValue(file.toFile(), new TypeReference<TreeMap<String, TreeSet<String>>>() {
            });
            return new Participation(file, read);
        } catch (IOException e) {
            // never reset silently: the file is what keeps max_rounds
            throw new UncheckedIOException(file + " is damaged (" + e.getMessage() + "); it records the rounds this "
                    + "site took part in, which policy.max_rounds counts. Restore it from backup, or move it away "
                    + "knowingly to start counting again", e);
        }
    }

    /** How many rounds of {@code federationId} this site sent an update for. */
    public synchronized int count(String federationId) {
        return rounds.getOrDefault(federationId, new TreeSet<>()).size();
    }

    /** True if this site sent an update for {@code round} of {@code federationId}, from any base model. */
    public synchronized boolean contains(String federationId, int round) {
        String prefix = round + "@";
        return rounds.getOrDefault(federationId, new TreeSet<>()).stream()
                .anyMatch(e -> e.equals(String.valueOf(round)) || e.startsWith(prefix));
    }

    /** True if this site sent an update for {@code round} of {@code federationId} trained from {@code baseVersion}. */
    public synchronized boolean contains(String federationId, int round, long baseVersion) {
        TreeSet<String> sent = rounds.getOrDefault(federationId, new TreeSet<>());
        return sent.contains(String.valueOf(round)) || sent.contains(key(round, baseVersion));
    }

    private static String key(int round, long baseVersion) {
        return round + "@v" + baseVersion;
    }

    /** Notes durably that this site sends an update for {@code round}, trained from {@code baseVersion}. */
    public synchronized void note(String federationId, int round, long baseVersion) {
        if (contains(federationId, round, baseVersion)
                || !rounds.computeIfAbsent(federationId, k -> new TreeSet<>()).add(key(round, baseVersion))) {
            return;
        }
        try {
            Files.createDirectories(file.getParent());
            byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(rounds);
            AtomicFiles.write(file, out -> out.write(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
