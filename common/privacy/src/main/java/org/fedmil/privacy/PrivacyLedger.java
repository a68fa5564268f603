package org.fedmil.privacy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;
import org.fedmil.util.AtomicFiles;
import org.fedmil.util.Sha256;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

/**
 * A site's own, persistent record of the privacy it has spent: every differentially private release it made (which
 * federation, round, noise, sampling rate and the SHA-256 of the released bytes) and the cumulative Rényi-DP over
 * fixed orders, in one JSON file in the site's state folder ({@value #FILE_NAME}), replaced atomically on every
 * charge.
 *
 * <p>The budget belongs to the site's data, not to a federation, so it spans every federation the site joins.
 * Record a release here <em>before</em> sending it: a crash between charging and sending over-counts (safe), the
 * other order could under-count. A resend of the same bytes for the same federation and round (after a broken link)
 * reveals nothing new and is not charged again; different bytes for the same round are a second release and are.
 *
 * <p>The releases are the source of truth: on open the cumulative RDP is recomputed from them and must match the
 * stored vector, so a damaged or hand-edited file is refused, never reset (a reset would silently give the site's
 * data a fresh privacy budget). One process (the site agent) owns the file; methods are synchronised for its threads.
 *
 * <p>Opened with a {@link Seal} (the site's key), every release is signed and names the SHA-256 of the release before
 * it ({@code prev}; 64 zeros for the first), so that an edit, a removed or reordered release is refused on open, and
 * the ledger's {@link #head()} (releases and the hash of the last) changes with every release: the site sends it with
 * each update, the coordinator's round log keeps it, and the agent compares it at start with the head its own egress
 * log says it last sent, so a deleted, truncated or rolled-back ledger is found (see {@code LedgerReconciliation}).
 * A ledger written without a seal ({@value #FORMAT}) is signed as it is when first opened with one.
 */
public final class PrivacyLedger {

    public static final String FILE_NAME = "privacy-ledger.json";
    static final String FORMAT = "fedmil-privacy-ledger/1";
    static final String SIGNED_FORMAT = "fedmil-privacy-ledger/2";
    public static final String GENESIS = "0".repeat(64);
    private static final ObjectMapper CANONICAL = new ObjectMapper()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    /**
     * Signs the ledger's releases: the site's key. Each release names the public key that signed it ({@code key}),
     * so that a ledger outlives the certificate it was started under (a renewed certificate, another consortium's:
     * the ledger spans every federation the site joins).
     */
    public interface Seal {
        /** The signature (base64 of DER) over {@code body}. */
        String sign(byte[] body);

        /** The signing key's public key: base64 of its X.509 SubjectPublicKeyInfo encoding. */
        String publicKey();
    }

    /** The ledger's head: how many releases it holds and the SHA-256 of the last entry as written (sig included). */
    public record Head(int releases, String sha256) {
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

    /**
     * One differentially private release the site made: {@code steps} sampled-Gaussian mechanisms at rate q and
     * noise multiplier σ (1 for site-level DP on the delta; a round's DP-SGD steps for patient-level DP).
     */
    public record Release(String federationId, int round, double noiseMultiplier, double samplingRate,
                          String deltaSha256Hex, Instant time, int steps) {

        /** A single-step release (site-level DP). */
        public Release(String federationId, int round, double noiseMultiplier, double samplingRate,
                       String deltaSha256Hex, Instant time) {
            this(federationId, round, noiseMultiplier, samplingRate, deltaSha256Hex, time, 1);
        }

        boolean sameRelease(String federation, int r, String sha) {
            return federationId.equals(federation) && round == r && deltaSha256Hex.equals(sha);
        }
    }

    private final Path file;
    private final double delta;
    private final Clock clock;
    private final List<Release> releases;
    private RdpBudget budget;
    private final Seal seal;
    /** Each release's signature as written, null for one not (yet) signed; parallel to {@link #releases}. */
    private final List<String> sigs;
    /** The public key each release names as its signer (null while unsigned); parallel to {@link #releases}. */
    private final List<String> keys;

    private PrivacyLedger(Path file, double delta, Clock clock, List<Release> releases, RdpBudget budget, Seal seal,
                          List<String> sigs, List<String> keys) {
        this.file = file;
        this.delta = delta;
        this.clock = clock;
        this.releases = releases;
        this.budget = budget;
        this.seal = seal;
        this.sigs = sigs;
        this.keys = keys;
    }

    /** Opens the ledger at {@code file}, creating an empty one (over the default orders) if there is none. */
    public static PrivacyLedger open(Path file, double delta) throws IOException {
        return open(file, delta, Clock.systemUTC());
    }

    public static PrivacyLedger open(Path file, double delta, Clock clock) throws IOException {
        return open(file, delta, clock, null);
    }

    /** As {@link #open(Path, double)}, signing every new release with {@code seal}; every signature read is checked. */
    public static PrivacyLedger open(Path file, double delta, Seal seal) throws IOException {
        return open(file, delta, Clock.systemUTC(), seal);
    }

    public static PrivacyLedger open(Path file, double delta, Clock clock, Seal seal) throws IOException {
        Objects.requireNonNull(file, "file");
        if (!(delta > 0 && delta < 1)) {
            throw new IllegalArgumentException("privacy ledger δ must be in (0, 1), got " + delta
                    + "; use one well below 1/(number of sites' records), e.g. 1e-5");
        }
        if (!Files.exists(file)) {
            PrivacyLedger ledger = new PrivacyLedger(file, delta, clock, new ArrayList<>(), RdpBudget.empty(), seal,
                    new ArrayList<>(), new ArrayList<>());
            ledger.save();
            return ledger;
        }
        PrivacyLedger ledger = read(file, clock, seal);
        if (seal != null && ledger.sigs.contains(null)) {
            // an unsigned ledger of an older agent: signed as it is now, so that from here on it cannot change
            ledger.save();
        }
        if (Double.compare(ledger.delta, delta) != 0) {
            throw new IllegalArgumentException("privacy ledger " + file + " accounts at δ = " + ledger.delta
                    + " but δ = " + delta + " was asked for. ε at different δ are not comparable and the lifetime "
                    + "budget was set for the ledger's δ; configure δ = " + ledger.delta + " (or, deliberately, "
                    + "archive this ledger and start a new one — never delete it)");
        }
        return ledger;
    }

    /**
     * Reads the ledger at {@code file} without changing it (every release's signature checked against the key it
     * names; {@code seal} signs what a later charge records):
     * what {@code fedmil audit} and the agent's start-up comparison with its egress log need.
     */
    public static PrivacyLedger read(Path file, Seal seal) throws IOException {
        return read(file, Clock.systemUTC(), seal);
    }

    private static PrivacyLedger read(Path file, Clock clock, Seal seal) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw corrupt(file, "it is not valid JSON (" + e.getMessage() + ")", e);
        }
        try {
            String format = root == null ? null : text(root, "format");
            if (!FORMAT.equals(format) && !SIGNED_FORMAT.equals(format)) {
                throw new IllegalArgumentException("format is not \"" + FORMAT + "\" or \"" + SIGNED_FORMAT + "\"");
            }
            boolean signed = SIGNED_FORMAT.equals(format);
            List<String> sigs = new ArrayList<>();
            List<String> keys = new ArrayList<>();
            String prev = GENESIS;
            double delta = number(root, "delta");
            double[] orders = numbers(root, "orders");
            double[] rdp = numbers(root, "rdp");
            JsonNode list = root.get("releases");
            if (list == null || !list.isArray()) {
                throw new IllegalArgumentException("\"releases\" is missing or not an array");
            }
            List<Release> releases = new ArrayList<>();
            RdpBudget recomputed = RdpBudget.empty(orders);
            for (JsonNode r : list) {
                if (signed) {
                    prev = checkEntry(r, releases.size() + 1, prev);
                    sigs.add(r.get("sig").asText());
                    keys.add(r.get("key").asText());
                } else {
                    sigs.add(null);
                    keys.add(null);
                }
                String sha = text(r, "deltaSha256");
                if (!SHA256_HEX.matcher(sha).matches()) {
                    throw new IllegalArgumentException("release deltaSha256 '" + sha + "' is not 64 lower-case hex "
                            + "digits");
                }
                JsonNode round = r.get("round");
                if (round == null || !round.canConvertToInt()) {
                    throw new IllegalArgumentException("a release has no integer \"round\"");
                }
                // ledgers written before DP-SGD have no "steps": each of their releases was one step
                JsonNode steps = r.get("steps");
                if (steps != null && (!steps.canConvertToInt() || steps.intValue() < 1)) {
                    throw new IllegalArgumentException("a release's \"steps\" is not a positive integer");
                }
                Release release = new Release(text(r, "federationId"), round.intValue(),
                        number(r, "noiseMultiplier"), number(r, "samplingRate"), sha, Instant.parse(text(r, "time")),
                        steps == null ? 1 : steps.intValue());
                releases.add(release);
                recomputed = recomputed.compose(release.samplingRate(), release.noiseMultiplier(), release.steps());
            }
            RdpBudget stored = RdpBudget.of(orders, rdp);
            if (!close(recomputed.rdp(), stored.rdp())) {
                throw new IllegalArgumentException("the stored cumulative RDP does not match the " + releases.size()
                        + " recorded releases (stored " + Arrays.toString(Arrays.copyOf(rdp, 3)) + "…, recomputed "
                        + Arrays.toString(Arrays.copyOf(recomputed.rdp(), 3)) + "…)");
            }
            return new PrivacyLedger(file, delta, clock, releases, stored, seal, sigs, keys);
        } catch (IllegalArgumentException | DateTimeParseException | ArithmeticException e) {
            throw corrupt(file, e.getMessage(), e);
        }
    }

    /** Checks entry {@code n}'s chain link and signature; returns its hash, the next entry's {@code prev}. */
    private static String checkEntry(JsonNode entry, int n, String prev) {
        JsonNode sig = entry.get("sig");
        JsonNode key = entry.get("key");
        if (sig == null || !sig.isTextual() || key == null || !key.isTextual()) {
            throw new IllegalArgumentException("release " + n + " is not signed (no \"sig\" and \"key\")");
        }
        if (!prev.equals(text(entry, "prev"))) {
            throw new IllegalArgumentException("release " + n + " names prev " + text(entry, "prev") + " but the "
                    + "release before it hashes to " + prev + ": a release was removed, inserted, moved or edited");
        }
        ObjectNode body = entry.deepCopy();
        body.remove("sig");
        if (!verifies(key.asText(), canonical(body), sig.asText())) {
            throw new IllegalArgumentException("release " + n + "'s signature does not check against the key it "
                    + "names: it was edited after it was signed");
        }
        return Sha256.hex(Sha256.of(canonical(entry)));
    }

    private static boolean verifies(String publicKey, byte[] body, String signature) {
        try {
            PublicKey key = KeyFactory.getInstance("EC")
                    .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(publicKey)));
            Signature s = Signature.getInstance("SHA256withECDSA");
            s.initVerify(key);
            s.update(body);
            return s.verify(Base64.getDecoder().decode(signature));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    private static byte[] canonical(JsonNode node) {
        try {
            return CANONICAL.writeValueAsBytes(CANONICAL.convertValue(node, java.util.TreeMap.class));
        } catch (IOException e) {
            throw new IllegalStateException("a ledger entry cannot be written as JSON", e);
        }
    }

    private static IOException corrupt(Path file, String what, Exception cause) {
        return new IOException("privacy ledger " + file + " is damaged: " + what + ". It was NOT reset, because that "
                + "would give the site's data a fresh privacy budget. Restore it from a backup, or repair it by hand "
                + "from the site's egress records; until then the site must not send differentially private "
                + "updates", cause);
    }

    private static boolean close(double[] a, double[] b) {
        for (int i = 0; i < a.length; i++) {
            if (Double.isInfinite(a[i]) || Double.isInfinite(b[i])) {
                if (a[i] != b[i]) {
                    return false;
                }
            } else if (Math.abs(a[i] - b[i]) > 1e-9 * Math.max(1, Math.abs(b[i]))) {
                return false;
            }
        }
        return true;
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException("\"" + field + "\" is missing or not a string");
        }
        return v.asText();
    }

    private static double number(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || !v.isNumber()) {
            throw new IllegalArgumentException("\"" + field + "\" is missing or not a number");
        }
        return v.doubleValue();
    }

    private static double[] numbers(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || !v.isArray()) {
            throw new IllegalArgumentException("\"" + field + "\" is missing or not an array");
        }
        double[] out = new double[v.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode x = v.get(i);
            // ∞ (a σ = 0 release) is written as the string "Infinity": JSON has no infinite numbers
            if (x.isTextual() && x.asText().equals("Infinity")) {
                out[i] = Double.POSITIVE_INFINITY;
            } else if (x.isNumber()) {
                out[i] = x.doubleValue();
            } else {
                throw new IllegalArgumentException("\"" + field + "\"[" + i + "] is not a number");
            }
        }
        return out;
    }

    private void save() throws IOException {
        ObjectNode root = JSON.createObjectNode();
        boolean signed = seal != null || sigs.stream().anyMatch(Objects::nonNull);
        root.put("format", signed ? SIGNED_FORMAT : FORMAT);
        root.put("delta", delta);
        ArrayNode orders = root.putArray("orders");
        for (double o : budget.orders()) {
            orders.add(o);
        }
        ArrayNode rdp = root.putArray("rdp");
        for (double r : budget.rdp()) {
            if (Double.isInfinite(r)) {
                rdp.add("Infinity");
            } else {
                rdp.add(r);
            }
        }
        ArrayNode list = root.putArray("releases");
        String prev = GENESIS;
        for (int i = 0; i < releases.size(); i++) {
            ObjectNode n = releaseNode(list, releases.get(i));
            if (signed) {
                n.put("prev", prev);
                if (sigs.get(i) == null) {
                    n.put("key", seal.publicKey());
                    sigs.set(i, seal.sign(canonical(n)));
                    keys.set(i, seal.publicKey());
                }
                n.put("key", keys.get(i));
                n.put("sig", sigs.get(i));
                prev = Sha256.hex(Sha256.of(canonical(n)));
            }
        }
        byte[] bytes = JSON.writeValueAsBytes(root);
        AtomicFiles.write(file, out -> out.write(bytes));
    }

    private static ObjectNode releaseNode(ArrayNode list, Release r) {
        ObjectNode n = list.addObject();
        n.put("federationId", r.federationId());
        n.put("round", r.round());
        n.put("noiseMultiplier", r.noiseMultiplier());
        n.put("samplingRate", r.samplingRate());
        n.put("deltaSha256", r.deltaSha256Hex());
        n.put("time", r.time().toString());
        n.put("steps", r.steps());
        return n;
    }

    /** Releases held and the hash of the last entry as written ({@link #GENESIS} when none, or when unsigned). */
    public synchronized Head head() {
        return sigs.contains(null) ? new Head(releases.size(), GENESIS) : headAt(releases.size());
    }

    /** The head after the first {@code n} releases, to compare with a head sent earlier. */
    public synchronized Head headAt(int n) {
        if (sigs.subList(0, Math.min(n, sigs.size())).contains(null)) {
            return new Head(n, GENESIS);
        }
        if (n < 0 || n > releases.size()) {
            throw new IllegalArgumentException("the ledger holds " + releases.size() + " releases, not " + n);
        }
        ArrayNode list = JSON.createArrayNode();
        String prev = GENESIS;
        for (int i = 0; i < n; i++) {
            ObjectNode e = releaseNode(list, releases.get(i));
            e.put("prev", prev);
            e.put("key", keys.get(i));
            e.put("sig", sigs.get(i));
            prev = Sha256.hex(Sha256.of(canonical(e)));
        }
        return new Head(n, prev);
    }

    public Path file() {
        return file;
    }

    public double delta() {
        return delta;
    }

    public synchronized List<Release> releases() {
        return List.copyOf(releases);
    }

    /** (ε, δ) spent by every recorded release. */
    public synchronized PrivacySpent spent() {
        return budget.spent(delta);
    }

    /**
     * (ε, δ) spent by the releases to {@code federationId} alone: what the site tells that federation, so that the
     * number does not reveal how much it took part in others. The lifetime budget is checked against {@link #spent}.
     */
    public synchronized PrivacySpent spentIn(String federationId) {
        RdpBudget own = RdpBudget.empty(budget.orders());
        for (Release r : releases) {
            if (r.federationId().equals(federationId)) {
                own = own.compose(r.samplingRate(), r.noiseMultiplier(), r.steps());
            }
        }
        return own.spent(delta);
    }

    /** (ε, δ) after one more release at sampling rate q and noise multiplier σ, without recording it. */
    public synchronized PrivacySpent wouldSpend(double q, double sigma) {
        return wouldSpend(q, sigma, 1);
    }

    /** (ε, δ) after one more release of {@code steps} sampled-Gaussian steps, without recording it. */
    public synchronized PrivacySpent wouldSpend(double q, double sigma, int steps) {
        return budget.compose(q, sigma, steps).spent(delta);
    }

    /**
     * Records a release durably (the file is replaced and synced before this returns) and returns the new total.
     * Charging the same (federation, round, SHA-256) again records nothing and returns the current total.
     *
     * @param q     probability that this site's data took part (1 when every site takes part in every round)
     * @param sigma noise multiplier σ the release was made with
     */
    public synchronized PrivacySpent charge(String federationId, int round, String deltaSha256Hex, double q,
                                            double sigma) throws IOException {
        return charge(federationId, round, deltaSha256Hex, q, sigma, 1);
    }

    /** As above for a release of {@code steps} sampled-Gaussian steps (a round of DP-SGD). */
    public synchronized PrivacySpent charge(String federationId, int round, String deltaSha256Hex, double q,
                                            double sigma, int steps) throws IOException {
        String sha = checkRelease(federationId, round, deltaSha256Hex);
        if (alreadyRecorded(federationId, round, sha, q, sigma, steps)) {
            return spent();
        }
        record(federationId, round, sha, q, sigma, steps);
        return spent();
    }

    /**
     * As {@link #charge} but first checks the lifetime budget: if this release would take ε past
     * {@code lifetimeEpsilon}, throws before recording anything (and the caller must not send the release).
     * A resend of an already recorded release is not refused: it costs nothing more.
     */
    public synchronized PrivacySpent chargeWithin(String federationId, int round, String deltaSha256Hex, double q,
                                                  double sigma, double lifetimeEpsilon)
            throws IOException, PrivacyBudgetExceededException {
        return chargeWithin(federationId, round, deltaSha256Hex, q, sigma, 1, lifetimeEpsilon);
    }

    /** As above for a release of {@code steps} sampled-Gaussian steps (a round of DP-SGD). */
    public synchronized PrivacySpent chargeWithin(String federationId, int round, String deltaSha256Hex, double q,
                                                  double sigma, int steps, double lifetimeEpsilon)
            throws IOException, PrivacyBudgetExceededException {
        if (!(lifetimeEpsilon > 0)) {
            throw new IllegalArgumentException("lifetime ε must be > 0, got " + lifetimeEpsilon);
        }
        String sha = checkRelease(federationId, round, deltaSha256Hex);
        if (alreadyRecorded(federationId, round, sha, q, sigma, steps)) {
            return spent();
        }
        PrivacySpent after = wouldSpend(q, sigma, steps);
        if (after.epsilon() > lifetimeEpsilon) {
            throw new PrivacyBudgetExceededException(lifetimeEpsilon, spent(), after, file,
                    String.format(Locale.ROOT, "the release of federation '%s' round %d (q = %s, σ = %s)",
                            federationId, round, q, sigma)
                            + (steps == 1 ? "" : " over " + steps + " steps"));
        }
        record(federationId, round, sha, q, sigma, steps);
        return spent();
    }

    private static String checkRelease(String federationId, int round, String deltaSha256Hex) {
        if (federationId == null || federationId.isBlank()) {
            throw new IllegalArgumentException("federation id must not be blank");
        }
        if (round < 0) {
            throw new IllegalArgumentException("round must be ≥ 0, got " + round);
        }
        String sha = Objects.requireNonNull(deltaSha256Hex, "deltaSha256Hex").toLowerCase(Locale.ROOT);
        if (!SHA256_HEX.matcher(sha).matches()) {
            throw new IllegalArgumentException("delta SHA-256 must be 64 hex digits, got '" + deltaSha256Hex + "'");
        }
        return sha;
    }

    private boolean alreadyRecorded(String federationId, int round, String sha, double q, double sigma, int steps) {
        for (Release r : releases) {
            if (r.sameRelease(federationId, round, sha)) {
                if (Double.compare(r.samplingRate(), q) != 0 || Double.compare(r.noiseMultiplier(), sigma) != 0
                        || r.steps() != steps) {
                    throw new IllegalArgumentException("release of federation '" + federationId + "' round " + round
                            + " with delta SHA-256 " + sha + " is recorded in " + file + " with q = "
                            + r.samplingRate() + ", σ = " + r.noiseMultiplier() + ", " + r.steps() + " steps but was "
                            + "charged again with q = " + q + ", σ = " + sigma + ", " + steps + " steps; the same bytes cannot have two noise levels: check the caller");
                }
                return true;
            }
        }
        return false;
    }

    private void record(String federationId, int round, String sha, double q, double sigma, int steps)
            throws IOException {
        if (steps < 1) {
            throw new IllegalArgumentException("a release has at least one step, got " + steps);
        }
        RdpBudget next = budget.compose(q, sigma, steps);
        Release release = new Release(federationId, round, sigma, q, sha, clock.instant(), steps);
        releases.add(release);
        sigs.add(null);
        keys.add(null);
        RdpBudget previous = budget;
        budget = next;
        try {
            save();
        } catch (IOException | RuntimeException e) {
            // not durable, so not recorded: the caller must not send
            releases.remove(releases.size() - 1);
            sigs.remove(sigs.size() - 1);
            keys.remove(keys.size() - 1);
            budget = previous;
            throw e;
        }
    }
}
