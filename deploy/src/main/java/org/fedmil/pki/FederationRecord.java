package org.fedmil.pki;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.fedmil.util.AtomicFiles;

/**
 * What {@code fedmil pki kit coordinator} decided and every later kit repeats: the federation's id and the address
 * sites dial. Kept in the PKI folder ({@value #FILE}) so that a site kit made a week later dials the same name the
 * coordinator's certificate holds.
 */
public record FederationRecord(@JsonProperty("federation_id") String federationId,
                               @JsonProperty("coordinator_host") String coordinatorHost,
                               @JsonProperty("coordinator_port") int coordinatorPort) {

    public static final String FILE = "federation.json";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public String address() {
        return (coordinatorHost.contains(":") ? "[" + coordinatorHost + "]" : coordinatorHost) + ":" + coordinatorPort;
    }

    static Optional<FederationRecord> read(PkiLayout layout) throws IOException {
        Path file = layout.root().resolve(FILE);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readValue(file.toFile(), FederationRecord.class));
        } catch (IOException e) {
            throw new PkiException(file + " cannot be read (" + e.getMessage() + "); run `fedmil pki kit coordinator` "
                    + "again to rewrite it, or pass --coordinator HOST:PORT");
        }
    }

    void write(PkiLayout layout) throws IOException {
        AtomicFiles.write(layout.root().resolve(FILE), out -> out.write(JSON.writeValueAsBytes(this)));
    }
}
