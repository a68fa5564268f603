package org.fedmil.audit;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import org.fedmil.util.AtomicFiles;

/**
 * A statement's exact signed text and its signature, as stored on disk ({@code receipts/*.json},
 * {@code round-log.head.json}): {@code {"sig": "...", "statement": "{...}"}}. The statement is kept as the text that
 * was signed, not re-serialised, so the signature checks against the very bytes.
 */
public record SignedStatement(@JsonProperty("statement") String statement, @JsonProperty("sig") String sig) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public static SignedStatement sign(Statement statement, PrivateKey key) {
        String text = statement.canonicalJson();
        return new SignedStatement(text, Signatures.sign(key, text.getBytes(StandardCharsets.UTF_8)));
    }

    /** Why this is not {@code key}'s signature of the statement, or null if it is. */
    public String problem(PublicKey key, String whose) {
        return Signatures.problem(key, statement.getBytes(StandardCharsets.UTF_8), sig, whose);
    }

    /** Writes this atomically (temp file, fsync, rename): a crash leaves the old file or the new one. */
    public void write(Path file) throws IOException {
        byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(this);
        AtomicFiles.write(file, out -> out.write(bytes));
    }

    public static SignedStatement read(Path file) throws IOException {
        try {
            SignedStatement s = JSON.readValue(Files.readAllBytes(file), SignedStatement.class);
            if (s.statement() == null || s.sig() == null) {
                throw new IOException(file + ": not a signed statement (needs 'statement' and 'sig')");
            }
            return s;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(file + ": not a signed statement: " + e.getOriginalMessage(), e);
        }
    }
}
