package org.fedmil.site.config;

import java.nio.file.Files;
import java.nio.file.Path;
import org.fedmil.config.ConfigException;
import org.fedmil.config.ConfigFiles;
import org.fedmil.config.ConfigOverrides;
import org.fedmil.config.TlsFiles;

/**
 * A hospital's site.yaml. The site's identity is not configured here: it is the CN of the certificate in
 * {@code tls.cert}, which the coordinator reads from the TLS handshake.
 *
 * @param coordinator where to dial (the site opens no port of its own)
 * @param tls         this site's certificate, key and the consortium CA
 * @param dataDir     the local bags (bags.csv + bags/*.npy or tiles/&lt;bag_id&gt;/*.png); they never leave the site
 * @param device      auto (DJL's default: GPU if libtorch with CUDA is present, else CPU), cpu, gpu or gpu(N)
 * @param pollWaitMs  how long the coordinator may hold a NextTask call before answering WAIT
 * @param connectTimeoutSeconds how long to keep retrying the first contact while the coordinator is unreachable
 * @param stateDir    where the site keeps what it derives locally (the latest global model, explanations); default
 *                    {@value #DEFAULT_STATE_DIR} next to the site.yaml. Nothing in it is sent.
 * @param augmentation random flips / right-angle rotations of training tiles (tile sites only); off by default
 * @param policy      what this site agrees to send, enforced by the agent before anything is sent; empty by default
 * @param validation  the labelled bags kept back to validate each round's global model on (never trained on); on
 *                    by default
 * @param encoderFile the site's copy of the pretrained TorchScript encoder, for a federation that fine-tunes its
 *                    last block on the site's tiles; none by default
 */
public record SiteConfig(Coordinator coordinator, TlsFiles tls, Path dataDir, String device, Integer pollWaitMs,
                         Integer connectTimeoutSeconds, Path stateDir, Augmentation augmentation, SitePolicy policy,
                         Validation validation, Path encoderFile) {

    /** Without an encoder file. */
    public SiteConfig(Coordinator coordinator, TlsFiles tls, Path dataDir, String device, Integer pollWaitMs,
                      Integer connectTimeoutSeconds, Path stateDir, Augmentation augmentation, SitePolicy policy,
                      Validation validation) {
        this(coordinator, tls, dataDir, device, pollWaitMs, connectTimeoutSeconds, stateDir, augmentation, policy,
                validation, null);
    }

    /** This config with {@code encoder} as the site's encoder file (resolved as given). */
    public SiteConfig withEncoderFile(Path encoder) {
        return new SiteConfig(coordinator, tls, dataDir, device, pollWaitMs, connectTimeoutSeconds, stateDir,
                augmentation, policy, validation, encoder);
    }

    public static final String DEFAULT_STATE_DIR = "site-state";

    public SiteConfig {
        device = device == null ? "auto" : device;
        pollWaitMs = pollWaitMs == null ? 10_000 : pollWaitMs;
        connectTimeoutSeconds = connectTimeoutSeconds == null ? 120 : connectTimeoutSeconds;
        augmentation = augmentation == null ? new Augmentation(null, null) : augmentation;
        policy = policy == null ? SitePolicy.NONE : policy;
        validation = validation == null ? new Validation(null, null) : validation;
    }

    /** A config with the default validation split. */
    public SiteConfig(Coordinator coordinator, TlsFiles tls, Path dataDir, String device, Integer pollWaitMs,
                      Integer connectTimeoutSeconds, Path stateDir, Augmentation augmentation, SitePolicy policy) {
        this(coordinator, tls, dataDir, device, pollWaitMs, connectTimeoutSeconds, stateDir, augmentation, policy,
                null);
    }

    /**
     * validation: a stratified share of each class's labelled bags, chosen by bag id and seed (the same bags every
     * round and after a restart), on which the site measures each global model it receives before training it.
     *
     * @param fraction share of each class kept back, in [0, 1); 0 turns validation off. Default
     *                 {@value org.fedmil.mil.data.ValidationSplit#DEFAULT_FRACTION}
     * @param seed     another seed chooses other bags; default 0
     */
    public record Validation(Double fraction, Long seed) {
        public Validation {
            fraction = fraction == null ? org.fedmil.mil.data.ValidationSplit.DEFAULT_FRACTION : fraction;
            seed = seed == null ? 0L : seed;
        }

        public org.fedmil.mil.data.ValidationSplit split() {
            return new org.fedmil.mil.data.ValidationSplit(fraction, seed);
        }
    }

    /** This config with {@code validation} in force. */
    public SiteConfig withValidation(Validation validation) {
        return new SiteConfig(coordinator, tls, dataDir, device, pollWaitMs, connectTimeoutSeconds, stateDir,
                augmentation, policy, validation, encoderFile);
    }

    /** A config without a policy section. */
    public SiteConfig(Coordinator coordinator, TlsFiles tls, Path dataDir, String device, Integer pollWaitMs,
                      Integer connectTimeoutSeconds, Path stateDir, Augmentation augmentation) {
        this(coordinator, tls, dataDir, device, pollWaitMs, connectTimeoutSeconds, stateDir, augmentation, null);
    }

    /** This config with {@code policy} in force. */
    public SiteConfig withPolicy(SitePolicy policy) {
        return new SiteConfig(coordinator, tls, dataDir, device, pollWaitMs, connectTimeoutSeconds, stateDir,
                augmentation, policy, validation, encoderFile);
    }

    /**
     * Label-preserving changes of training tiles: a tissue tile has no "up", so flipped and rotated copies are
     * as real as the original and help a small site's CNN generalise. Evaluation never augments.
     */
    public record Augmentation(Boolean flips, Boolean rotations) {
        public Augmentation {
            flips = flips != null && flips;
            rotations = rotations != null && rotations;
        }

        public boolean any() {
            return flips || rotations;
        }
    }

    /** A config without state_dir; {@link #resolvedAgainst} puts the state folder next to the config file. */
    public SiteConfig(Coordinator coordinator, TlsFiles tls, Path dataDir, String device, Integer pollWaitMs,
                      Integer connectTimeoutSeconds) {
        this(coordinator, tls, dataDir, device, pollWaitMs, connectTimeoutSeconds, null, null, null);
    }

    /**
     * @param handshakeTimeoutSeconds how long one TLS handshake with the coordinator may take before the attempt is
     *                                given up (and retried within connect_timeout_seconds); default
     *                                {@value org.fedmil.tls.ClientHandshakeDeadline#DEFAULT_SECONDS}
     */
    public record Coordinator(String host, Integer port, Integer handshakeTimeoutSeconds) {
        public Coordinator {
            port = port == null ? 7443 : port;
            handshakeTimeoutSeconds = handshakeTimeoutSeconds == null
                    ? org.fedmil.tls.ClientHandshakeDeadline.DEFAULT_SECONDS : handshakeTimeoutSeconds;
        }

        public Coordinator(String host, Integer port) {
            this(host, port, null);
        }

        public java.time.Duration handshakeTimeout() {
            return java.time.Duration.ofSeconds(handshakeTimeoutSeconds);
        }
    }

    public static SiteConfig load(Path file) {
        return load(file, ConfigOverrides.none());
    }

    /** site.yaml with command-line values in place of the file's, checked as file values are. */
    public static SiteConfig load(Path file, ConfigOverrides overrides) {
        try {
            return ConfigFiles.read(file, SiteConfig.class, overrides).resolvedAgainst(file);
        } catch (ConfigException e) {
            throw overrides.explain(e);
        }
    }

    public SiteConfig resolvedAgainst(Path file) {
        if (coordinator == null || coordinator.host() == null || coordinator.host().isBlank()) {
            throw new ConfigException(file + ": key 'coordinator.host' is required: the coordinator's host name as in its certificate");
        }
        if (coordinator.port() < 1 || coordinator.port() > 65535) {
            throw new ConfigException(file + ": key 'coordinator.port' is " + coordinator.port() + ", expected 1..65535");
        }
        int handshake = coordinator.handshakeTimeoutSeconds();
        if (handshake < 1 || handshake > org.fedmil.tls.ClientHandshakeDeadline.MAX_SECONDS) {
            throw new ConfigException(file + ": key 'coordinator.handshake_timeout_seconds' is " + handshake
                    + ", expected 1.." + org.fedmil.tls.ClientHandshakeDeadline.MAX_SECONDS + " (seconds one TLS handshake"
                    + " with the coordinator may take; default " + org.fedmil.tls.ClientHandshakeDeadline.DEFAULT_SECONDS + ")");
        }
        if (tls == null) {
            throw new ConfigException(file + ": section 'tls' (cert, key, ca) is required");
        }
        if (dataDir == null) {
            throw new ConfigException(file + ": key 'data_dir' is required: the folder holding bags.csv");
        }
        Path data = ConfigFiles.resolve(file, dataDir);
        if (!Files.isDirectory(data)) {
            throw new ConfigException(file + ": key 'data_dir' names " + data + ", which is not a folder");
        }
        if (pollWaitMs < 0 || pollWaitMs > 30_000) {
            throw new ConfigException(file + ": key 'poll_wait_ms' is " + pollWaitMs + ", expected 0..30000");
        }
        if (connectTimeoutSeconds < 0) {
            throw new ConfigException(file + ": key 'connect_timeout_seconds' is " + connectTimeoutSeconds + ", expected 0 or more");
        }
        // Not created here: reading a config must not change the disk; the agent creates it when it first writes.
        Path state = ConfigFiles.resolve(file, stateDir == null ? Path.of(DEFAULT_STATE_DIR) : stateDir);
        if (Files.exists(state) && !Files.isDirectory(state)) {
            throw new ConfigException(file + ": key 'state_dir' names " + state + ", which is a file, not a folder"
                    + (stateDir == null ? " (state_dir defaults to '" + DEFAULT_STATE_DIR + "' next to the site.yaml;"
                    + " set state_dir to another folder)" : ""));
        }
        policy.validate(file);
        if (!(validation.fraction() >= 0 && validation.fraction() < 1)) {
            throw new ConfigException(file + ": key 'validation.fraction' is " + validation.fraction()
                    + ", expected 0 (no validation bags) up to below 1; the default is "
                    + org.fedmil.mil.data.ValidationSplit.DEFAULT_FRACTION);
        }
        Path encoder = encoderFile == null ? null : ConfigFiles.resolve(file, encoderFile);
        if (encoder != null && !Files.isRegularFile(encoder)) {
            throw new ConfigException(file + ": key 'encoder_file' names " + encoder + ", which is not a file; "
                    + "expected the consortium's TorchScript encoder (the file whose SHA-256 the operator announced)");
        }
        return new SiteConfig(coordinator, tls.resolvedAgainst(file, "tls"), data, device, pollWaitMs, connectTimeoutSeconds,
                state, augmentation, policy, validation, encoder);
    }
}
