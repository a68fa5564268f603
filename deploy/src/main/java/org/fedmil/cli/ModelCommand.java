package org.fedmil.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.Encoder;
import org.fedmil.mil.model.ModelFile;
import org.fedmil.mil.model.ModelSize;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.tensor.TensorSpec;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code fedmil model}: what a model is, from its spec alone. */
@Command(name = "model", mixinStandardHelpOptions = true, description = "Model tools.",
        subcommands = ModelCommand.Info.class)
public final class ModelCommand {

    /**
     * {@code fedmil model info}: parameters, bytes and tensors of a coordinator.yaml's model, a model file's, or one
     * given by its widths; computed from the spec (docs/configuration.md, "Model size"), no engine started.
     */
    @Command(name = "info", mixinStandardHelpOptions = true,
            description = "Print a model's parameter count, float32 bytes and tensors, for a coordinator.yaml, a "
                    + "model file or widths given as options.")
    static final class Info implements Callable<Integer> {

        @Spec
        CommandSpec command;

        @ArgGroup(exclusive = true)
        Source source;

        static final class Source {
            @Option(names = "--config", paramLabel = "FILE", description = "a coordinator.yaml: its model section; "
                    + "without model.input_dim the mlp encoder's width is read from its heldout_dir")
            Path config;

            @Option(names = "--model", paramLabel = "FILE", description = "a model file (.fedmil)")
            Path modelFile;
        }

        @Option(names = "--architecture", defaultValue = "attention",
                description = "attention, gated_attention, mean or max (default ${DEFAULT-VALUE})")
        String architecture;

        @Option(names = "--encoder", defaultValue = "mlp", description = "mlp or cnn (default ${DEFAULT-VALUE})")
        String encoder;

        @Option(names = "--input-dim", description = "mlp: features per instance")
        Integer inputDim;

        @Option(names = "--hidden-dim", defaultValue = "64", description = "default ${DEFAULT-VALUE}")
        int hiddenDim;

        @Option(names = "--attention-dim", defaultValue = "32", description = "default ${DEFAULT-VALUE}")
        int attentionDim;

        @Option(names = "--channels", defaultValue = "0", description = "cnn: 1 or 3")
        int channels;

        @Option(names = "--tile-size", defaultValue = "0", description = "cnn: tile side in pixels")
        int tileSize;

        @Option(names = "--parameters", paramLabel = "N", description = "mlp: choose --input-dim so the model has "
                + "at most N parameters (closest below), at the given hidden and attention widths")
        Long parameters;

        @Override
        public Integer call() {
            ModelSpec spec = spec();
            ModelSize size = ModelSize.of(spec);
            PrintWriter out = command.commandLine().getOut();
            out.println("model " + spec);
            out.println(String.format(Locale.ROOT, "parameters %,d", size.parameters()));
            out.println(String.format(Locale.ROOT, "bytes      %,d (%.1f MiB as float32)", size.bytes(),
                    size.bytes() / 1048576.0));
            out.println("tensors    " + size.tensors());
            out.println("heap       -Xmx" + size.suggestedHeapMib() + "m: the ceiling the launcher gives a "
                    + "coordinator of this model in plain FedAvg or FedProx rounds (FEDMIL_HEAP overrides it; "
                    + "docs/operator-guide.md, Memory)");
            for (TensorSpec t : ModelSize.tensorsOf(spec)) {
                out.println(String.format(Locale.ROOT, "  %-22s %-16s %,d", t.name(),
                        java.util.Arrays.toString(t.shape()), t.elementCount()));
            }
            out.flush();
            return 0;
        }

        private ModelSpec spec() {
            if (source != null && source.modelFile != null) {
                return ModelFile.read(source.modelFile).spec();
            }
            if (source != null && source.config != null) {
                CoordinatorConfig.Model m = CoordinatorConfig.load(source.config).model();
                if (m.encoderKind() == Encoder.CNN || m.inputDim() > 0) {
                    return m.spec(m.inputDim());
                }
                return m.spec(BagDataset.load(CoordinatorConfig.load(source.config).heldoutDir()).dim());
            }
            Architecture a = Architecture.fromConfigName(architecture);
            if (Encoder.fromConfigName(encoder) == Encoder.CNN) {
                return ModelSpec.cnn(a, channels, tileSize, hiddenDim, attentionDim);
            }
            if (parameters != null && inputDim != null) {
                throw new ParameterException(command.commandLine(), "give --input-dim or --parameters, not both");
            }
            if (parameters != null) {
                return new ModelSpec(a, ModelSize.mlpInputDimFor(parameters, a, hiddenDim, attentionDim), hiddenDim,
                        attentionDim);
            }
            if (inputDim == null) {
                throw new ParameterException(command.commandLine(), "the mlp encoder needs --input-dim (features "
                        + "per instance) or --parameters, or use --config coordinator.yaml / --model FILE");
            }
            return new ModelSpec(a, inputDim, hiddenDim, attentionDim);
        }
    }
}
