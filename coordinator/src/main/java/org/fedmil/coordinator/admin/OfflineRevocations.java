package org.fedmil.coordinator.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedmil.audit.Signatures;
import org.fedmil.util.AtomicFiles;

/**
 * The revocations an operator makes without reaching the coordinator over the network ({@code fedmil pki revoke
 * --offline}): a file in the coordinator's state folder, signed with the consortium CA's key, which the running
 * coordinator watches ({@link OfflineRevocationWatcher}) and applies as if {@code fedmil admin revoke} had been
 * called. Only the CA's holder can write one the coordinator accepts; a file whose signature does not check is
 * ignored, and said so in the coordinator's log.
 *
 * <pre>
 * {"kind":"fedmil.offline-revocations.v1","revocations":[{"site":"…","reason":"…","time":"…"}],"signature":"…"}
 * </pre>
 * The signature (ECDSA, base64) is over the UTF-8 bytes of the same JSON without its {@code signature} field.
 */
public final class OfflineRevocations {

    public static final String FILE = "offline-revocations.json";
    static final String KIND = "fedmil.offline-revocations.v1";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One revocation: the site (its certificate's CN), why, and when the operator signed it (ISO-8601 UTC). */
    public record Entry(String site, String reason, String time) {
    }

    private OfflineRevocations() {
    }

    /** The bytes the signature covers: the kind and the entries, in this order, as compact JSON. */
    static byte[] signedBytes(List<Entry> entries) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("kind", KIND);
        List<Map<String, String>> list = new ArrayList<>();
        for (Entry e : entries) {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("site", e.site());
            m.put("reason", e.reason());
            m.put("time", e.time());
            list.add(m);
        }
        body.put("revocations", list);
        try {
            return JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes the signed file into {@code stateDir}, atomically: the watcher never reads half a file. */
    public static Path write(Path stateDir, List<Entry> entries, PrivateKey caKey) throws IOException {
        byte[] body = signedBytes(entries);
        String signature = Signatures.sign(caKey, body);
        String text = new String(body, StandardCharsets.UTF_8);
        String signed = text.substring(0, text.length() - 1) + ",\"signature\":" + JSON.writeValueAsString(signature)
                + "}\n";
        Path file = stateDir.resolve(FILE);
        AtomicFiles.write(file, out -> out.write(signed.getBytes(StandardCharsets.UTF_8)));
        return file;
    }

    /** The entries of {@code stateDir}'s file, empty when there is none. */
    public static List<Entry> readUnchecked(Path stateDir) throws IOException {
        Path file = stateDir.resolve(FILE);
        return Files.exists(file) ? entries(JSON.readTree(file.toFile()), file) : List.of();
    }

    /**
     * The file's entries once its signature checks against the CA's key.
     *
     * @throws IOException with what is wrong (unreadable, not this kind, a signature that does not check)
     */
    public static List<Entry> read(Path file, PublicKey ca) throws IOException {
        JsonNode root = JSON.readTree(file.toFile());
        List<Entry> entries = entries(root, file);
        String signature = root.path("signature").asText("");
        String problem = Signatures.problem(ca, signedBytes(entries), signature, "the consortium CA");
        if (problem != null) {
            throw new IOException(file + ": its signature does not check against the consortium CA: " + problem
                    + "; write it with `fedmil pki revoke --offline` on the machine that holds the CA key");
        }
        return entries;
    }

    private static List<Entry> entries(JsonNode root, Path file) throws IOException {
        if (!KIND.equals(root.path("kind").asText())) {
            throw new IOException(file + " is not a file of kind " + KIND);
        }
        List<Entry> entries = new ArrayList<>();
        for (JsonNode n : root.path("revocations")) {
            entries.add(new Entry(n.path("site").asText(), n.path("reason").asText(), n.path("time").asText()));
        }
        return entries;
    }
}
