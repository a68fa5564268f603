package org.fedmil.mil.model;

import ai.djl.Device;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.fedmil.mil.encoder.FineTunedBlock;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;
import org.fedmil.tensor.TensorStreamEncoder;
import org.fedmil.util.AtomicFiles;
import org.fedmil.util.Sha256;

/**
 * A MIL model in one self-describing file, for sites and offline tools: the spec to build it, its weights,
 * and free-form metadata (where it came from). Layout:
 * <pre>
 *   "FEDMIL-MODEL\n"                 13 bytes of magic
 *   header length                     4 bytes, big-endian unsigned
 *   header                            UTF-8 JSON: format_version, model spec, tensors, tensor_bytes, sha256, metadata
 *   tensor bytes                      float32 little-endian, row-major, tensors concatenated in header order
 * </pre>
 * The tensor bytes are exactly {@link TensorCodec}'s wire form, so {@code sha256} equals the SHA-256 the
 * coordinator announces for the same global model. Reading checks the magic, the lengths, the SHA-256 and that
 * the tensors are those a {@link MilModel} of the spec has; format: docs/site-guide.md.
 *
 * @param metadata string pairs kept with the model, in insertion order (e.g. federation id, model version)
 */
public record ModelFile(ModelSpec spec, TensorSet weights, Map<String, String> metadata) {

    public static final String MAGIC = "FEDMIL-MODEL\n";
    /**
     * 2: the CNN encoder standardises each bag's tiles before its first convolution, so a version-1 CNN model would
     * score differently today; version-1 MLP models mean what they meant and are still read.
     */
    public static final int FORMAT_VERSION = 2;
    /** The customary file name extension. */
    public static final String EXTENSION = ".fedmil";

    private static final byte[] MAGIC_BYTES = MAGIC.getBytes(StandardCharsets.US_ASCII);
    /** Far above any real header (a few kB per hundred tensors); refuses a corrupt length before allocating it. */
    private static final int MAX_HEADER_BYTES = 16 << 20;
    private static final String ENCODING = "float32 little-endian, row-major, tensors concatenated in this order";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public ModelFile {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(weights, "weights");
        Objects.requireNonNull(metadata, "metadata");
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            Objects.requireNonNull(e.getKey(), "metadata key");
            Objects.requireNonNull(e.getValue(), () -> "metadata value of '" + e.getKey() + "'");
        }
    }

    /**
     * Writes a model file atomically: readers see the old file or the complete new one.
     *
     * @throws IllegalArgumentException when the weights are not those of a model of {@code spec}
     * @throws UncheckedIOException     when the file cannot be written
     */
    public static void write(Path file, ModelSpec spec, TensorSet weights, Map<String, String> metadata) {
        new ModelFile(spec, weights, metadata).write(file);
    }

    /**
     * As {@link #write(Path, ModelSpec, TensorSet, Map)}. The tensor bytes are encoded a piece at a time, once to hash
     * them for the header and once into the file, so a model is never held a second time in its encoded form.
     */
    public void write(Path file) {
        requireFits(spec, weights, metadata);
        byte[] header = header(spec, weights.specs(), Sha256.hex(TensorStreamEncoder.sha256(weights)), metadata);
        try {
            AtomicFiles.write(file, out -> {
                DataOutputStream data = new DataOutputStream(out);
                writePrefix(data, header);
                TensorStreamEncoder.writeTo(weights, data);
                data.flush();
            });
        } catch (IOException e) {
            throw new UncheckedIOException(cannotWrite(file, e), e);
        }
    }

    static String cannotWrite(Path file, IOException e) {
        return "cannot write model file " + file + ": " + e.getMessage()
                + "; check that its folder is writable and the disk is not full";
    }

    /** The magic, the header's length and the header: everything before the tensor bytes. */
    static void writePrefix(DataOutputStream data, byte[] header) throws IOException {
        data.write(MAGIC_BYTES);
        data.writeInt(header.length); // DataOutputStream writes big-endian
        data.write(header);
    }

    /** The JSON header of a file of these tensors, whose bytes hash to {@code sha256Hex}. */
    static byte[] header(ModelSpec spec, List<TensorSpec> tensors, String sha256Hex, Map<String, String> metadata) {
        ObjectNode h = JSON.createObjectNode();
        h.put("format", "fedmil-model");
        h.put("format_version", FORMAT_VERSION);
        ObjectNode m = h.putObject("model");
        m.put("architecture", spec.architecture().configName());
        m.put("encoder", spec.encoder().configName());
        m.put("input_dim", spec.inputDim());
        m.put("hidden_dim", spec.hiddenDim());
        m.put("attention_dim", spec.attentionDim());
        m.put("channels", spec.channels());
        m.put("tile_size", spec.tileSize());
        h.put("encoding", ENCODING);
        ArrayNode list = h.putArray("tensors");
        for (TensorSpec t : tensors) {
            ObjectNode node = list.addObject();
            node.put("name", t.name());
            ArrayNode shape = node.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
        }
        h.put("tensor_bytes", TensorCodec.byteSize(tensors));
        h.put("sha256", sha256Hex);
        ObjectNode meta = h.putObject("metadata");
        metadata.forEach(meta::put);
        try {
            return JSON.writeValueAsBytes(h);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of strings and numbers always serialises", e);
        }
    }

    /**
     * Reads and verifies a model file.
     *
     * @throws ModelFileException naming the file and what is wrong: missing, not a model file, truncated, corrupt
     *                            (SHA-256 mismatch), a newer format, or tensors that do not fit the spec
     */
    public static ModelFile read(Path file) {
        byte[] bytes = readBytes(file);
        int headerStart = MAGIC_BYTES.length + 4;
        int prefix = Math.min(bytes.length, MAGIC_BYTES.length);
        if (!Arrays.equals(bytes, 0, prefix, MAGIC_BYTES, 0, prefix)) {
            throw new ModelFileException(file, "is not a FedMIL model file: it does not start with 'FEDMIL-MODEL'");
        }
        if (bytes.length < headerStart) {
            throw new ModelFileException(file, "is truncated: " + bytes.length + " bytes, too short for even the "
                    + "header length" + COPY_AGAIN);
        }
        long headerLength = Integer.toUnsignedLong(ByteBuffer.wrap(bytes, MAGIC_BYTES.length, 4).getInt());
        if (headerLength == 0 || headerLength > MAX_HEADER_BYTES) {
            throw new ModelFileException(file, "is corrupt: header length " + headerLength + " is outside 1.."
                    + MAX_HEADER_BYTES + COPY_AGAIN);
        }
        if (headerStart + headerLength > bytes.length) {
            throw new ModelFileException(file, "is truncated: the header announces " + headerLength + " bytes but "
                    + (bytes.length - headerStart) + " follow" + COPY_AGAIN);
        }
        int tensorStart = headerStart + (int) headerLength;
        JsonNode header;
        try {
            header = JSON.readTree(new String(bytes, headerStart, (int) headerLength, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new ModelFileException(file, "is corrupt: its header is not valid JSON (" + e.getOriginalMessage()
                    + ")" + COPY_AGAIN, e);
        }
        Header h = new Header(file, header);
        int version = h.integer(header, "format_version");
        if (version != FORMAT_VERSION && version != 1) {
            throw new ModelFileException(file, "has format version " + version + " but this FedMIL reads version "
                    + FORMAT_VERSION + (version > FORMAT_VERSION ? "; upgrade FedMIL to read it" : ""));
        }
        ModelSpec spec = h.spec();
        if (version == 1 && spec.readsTiles()) {
            throw new ModelFileException(file, "holds a tile (CNN) model in format version 1, written before FedMIL "
                    + "standardised each bag's tiles; today's CNN would score with it differently. Train it again "
                    + "with this FedMIL, or use the FedMIL version that wrote it");
        }
        List<TensorSpec> specs = h.tensors();
        long expected = TensorCodec.byteSize(specs);
        long announced = h.longValue(header, "tensor_bytes");
        if (announced != expected) {
            throw new ModelFileException(file, "is corrupt: header says tensor_bytes " + announced + " but its "
                    + "tensors need " + expected + COPY_AGAIN);
        }
        long present = bytes.length - tensorStart;
        if (present < expected) {
            throw new ModelFileException(file, "is truncated: its tensors need " + expected + " bytes but only "
                    + present + " follow the header" + COPY_AGAIN);
        }
        if (present > expected) {
            throw new ModelFileException(file, "is corrupt: " + (present - expected) + " unexpected bytes follow "
                    + "the " + expected + " tensor bytes" + COPY_AGAIN);
        }
        byte[] tensorBytes = Arrays.copyOfRange(bytes, tensorStart, bytes.length);
        String actualSha = Sha256.hex(Sha256.of(tensorBytes));
        String announcedSha = h.text(header, "sha256");
        if (!MessageDigest.isEqual(actualSha.getBytes(StandardCharsets.US_ASCII),
                announcedSha.toLowerCase(java.util.Locale.ROOT).getBytes(StandardCharsets.US_ASCII))) {
            throw new ModelFileException(file, "is corrupt: its tensor bytes hash to SHA-256 " + actualSha
                    + " but the header records " + announcedSha + COPY_AGAIN);
        }
        TensorSet weights = TensorCodec.decode(specs, tensorBytes);
        try {
            requireFits(spec, weights, h.metadata());
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(file, "its tensors do not fit its model spec " + spec + ": "
                    + e.getMessage(), e);
        }
        return new ModelFile(spec, weights, h.metadata());
    }

    private static final String COPY_AGAIN = "; copy the file again from its source (a site's global model is "
            + "rewritten at the agent's next download)";

    private static byte[] readBytes(Path file) {
        try {
            long size = Files.size(file);
            if (size > Integer.MAX_VALUE - 8) {
                throw new ModelFileException(file, "is " + size + " bytes, larger than a model file can be");
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ModelFileException(file, "no such model file", e);
        } catch (IOException e) {
            throw new ModelFileException(file, "cannot read: " + e, e);
        }
    }

    /**
     * Throws IllegalArgumentException unless {@code weights} are exactly a {@link MilModel} of {@code spec}'s: with a
     * fine-tuned encoder block ({@link FineTunedBlock} in the metadata), its tensors first, then the head's.
     */
    static void requireFits(ModelSpec spec, TensorSet weights, Map<String, String> metadata) {
        // from the spec alone (ModelSizeTest pins it to what the engine builds): building the model to compare
        // would cost a second copy of it and start the engine on every save and read
        if (FineTunedBlock.fromMetadata(metadata).isEmpty()) {
            ModelSize.requireWeightsOf(spec, weights);
            return;
        }
        // the block's shapes are the encoder file's, which only a party holding the file can check (setWeights)
        List<org.fedmil.tensor.NamedTensor> all = weights.tensors();
        int block = 0;
        while (block < all.size() && all.get(block).name().startsWith(MilModel.BACKBONE_PREFIX)) {
            block++;
        }
        if (block == 0) {
            throw new IllegalArgumentException("the metadata records a fine-tuned encoder block but no tensor is "
                    + "named " + MilModel.BACKBONE_PREFIX + "…");
        }
        ModelSize.requireWeightsOf(spec, new TensorSet(all.subList(block, all.size())));
    }

    /** The fine-tuned encoder block this model needs, from its metadata; empty for a model of its spec alone. */
    public Optional<FineTunedBlock> fineTunedBlock() {
        return FineTunedBlock.fromMetadata(metadata);
    }

    /**
     * Builds a {@link MilModel} of this spec with these weights on {@code device}; the caller closes it.
     *
     * @throws IllegalStateException when the model's encoder block was fine-tuned: use {@link #newModel(Device, Path)}
     */
    public MilModel newModel(Device device) {
        if (fineTunedBlock().isPresent()) {
            throw new IllegalStateException("this model's encoder " + fineTunedBlock().get().describe() + " was "
                    + "fine-tuned: it runs on tiles through that encoder file, which must be given (--encoder FILE)");
        }
        return withWeights(MilModel.create(spec, device, 0L));
    }

    /**
     * As {@link #newModel(Device)}, for a model whose encoder block was fine-tuned: the encoder is {@code encoder}
     * (its SHA-256 must be the one recorded) with the block's weights from this file. Without a fine-tuned block
     * {@code encoder} is ignored.
     */
    public MilModel newModel(Device device, Path encoder) {
        Optional<FineTunedBlock> block = fineTunedBlock();
        if (block.isEmpty()) {
            return newModel(device);
        }
        return withWeights(block.get().model(spec, encoder, device, 0L));
    }

    private MilModel withWeights(MilModel model) {
        try {
            model.setWeights(weights);
            return model;
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** Typed access to a header's fields, every error naming the file and the field. */
    private record Header(Path file, JsonNode root) {

        ModelSpec spec() {
            JsonNode m = root.get("model");
            if (m == null || !m.isObject()) {
                throw corrupt("has no 'model' object");
            }
            try {
                return new ModelSpec(Architecture.fromConfigName(text(m, "model.architecture", "architecture")),
                        Encoder.fromConfigName(text(m, "model.encoder", "encoder")),
                        integer(m, "input_dim"), integer(m, "hidden_dim"), integer(m, "attention_dim"),
                        integer(m, "channels"), integer(m, "tile_size"));
            } catch (IllegalArgumentException e) {
                throw new ModelFileException(file, "its model spec is not usable: " + e.getMessage()
                        + "; it may have been written by a newer FedMIL", e);
            }
        }

        List<TensorSpec> tensors() {
            JsonNode list = root.get("tensors");
            if (list == null || !list.isArray() || list.isEmpty()) {
                throw corrupt("has no 'tensors' list");
            }
            List<TensorSpec> out = new ArrayList<>(list.size());
            for (int i = 0; i < list.size(); i++) {
                JsonNode t = list.get(i);
                String where = "tensors[" + i + "]";
                JsonNode shape = t.get("shape");
                if (shape == null || !shape.isArray()) {
                    throw corrupt("field '" + where + ".shape' is missing or not a list");
                }
                long[] dims = new long[shape.size()];
                for (int d = 0; d < dims.length; d++) {
                    if (!shape.get(d).canConvertToLong() || shape.get(d).asLong() < 0) {
                        throw corrupt("field '" + where + ".shape' holds " + shape.get(d) + ", not a dimension");
                    }
                    dims[d] = shape.get(d).asLong();
                }
                try {
                    out.add(new TensorSpec(text(t, where + ".name", "name"), dims));
                } catch (ArithmeticException e) {
                    throw corrupt("field '" + where + ".shape' " + shape + " is too large");
                }
            }
            return out;
        }

        Map<String, String> metadata() {
            JsonNode meta = root.get("metadata");
            Map<String, String> out = new LinkedHashMap<>();
            if (meta == null) {
                return out;
            }
            if (!meta.isObject()) {
                throw corrupt("field 'metadata' is not an object");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = meta.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isTextual()) {
                    throw corrupt("metadata '" + e.getKey() + "' is " + e.getValue().getNodeType() + ", not text");
                }
                out.put(e.getKey(), e.getValue().textValue());
            }
            return out;
        }

        int integer(JsonNode node, String field) {
            JsonNode v = node.get(field);
            if (v == null || !v.isInt()) {
                throw corrupt("field '" + field + "' is missing or not an integer");
            }
            return v.intValue();
        }

        long longValue(JsonNode node, String field) {
            JsonNode v = node.get(field);
            if (v == null || !v.canConvertToLong() || !v.isIntegralNumber()) {
                throw corrupt("field '" + field + "' is missing or not an integer");
            }
            return v.longValue();
        }

        String text(JsonNode node, String field) {
            return text(node, field, field);
        }

        String text(JsonNode node, String path, String field) {
            JsonNode v = node.get(field);
            if (v == null || !v.isTextual()) {
                throw corrupt("field '" + path + "' is missing or not text");
            }
            return v.textValue();
        }

        private ModelFileException corrupt(String what) {
            return new ModelFileException(file, "header " + what + COPY_AGAIN);
        }
    }
}
