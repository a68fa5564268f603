package org.fedmil.bench.perf;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.fedmil.coordinator.round.SecAggGraphPolicy;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.secagg.GraphDegreeRule;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;

/**
 * Full SecAgg against SecAgg+ (sparse random communication graph, {@link GraphDegreeRule#DEFAULT}) for K = 25, 50
 * and 100 sites in one run, with the same simulated sites as {@link SecAggBenchmark} (production
 * {@code FederationRun}, FedAvg and {@code SecAggClient}, real keys, signatures, shares and masks, one thread per
 * site, no network), on an attention-MIL model over 512 features (ResNet-18 tile embeddings), hidden 128, attention
 * 64. Each secure run's final model is compared with plain FedAvg's over the same sites and deltas.
 */
public final class SecAggPlusBenchmark implements PerfBenchmark {

    /** Attention MIL over 512-dimensional tile embeddings, hidden 128, attention 64. */
    static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, 512, 128, 64);

    @Override
    public String id() {
        return "secagg-plus";
    }

    @Override
    public List<Figure> run(PerfContext context) throws Exception {
        int[] ks = context.quick() ? new int[] {10} : new int[] {25, 50, 100};
        int rounds = context.pick(3, 2);
        ModelSpec spec = context.quick() ? new ModelSpec(Architecture.ATTENTION, 32, 64, 32) : SPEC;
        TensorSet initial;
        try (MilModel m = MilModel.create(spec, Device.cpu(), 0)) {
            initial = m.weights();
        }
        // SecAgg+ from any K on, so that the quick run's 10 sites (k = 8) exercise it too
        SecAggGraphPolicy plus = new SecAggGraphPolicy(2, GraphDegreeRule.DEFAULT);
        List<Figure> figures = new ArrayList<>();
        try (BenchConsortium pki = new BenchConsortium()) {
            SecAggBenchmark.simulate(ks[0], true, 2, spec, initial, pki, SecAggGraphPolicy.FULL); // JIT warm-up
            SecAggBenchmark.simulate(ks[0], true, 2, spec, initial, pki, plus);
            for (int k : ks) {
                SecAggBenchmark.Result plain = SecAggBenchmark.simulate(k, false, rounds, spec, initial, pki,
                        SecAggGraphPolicy.FULL);
                SecAggBenchmark.Result full = SecAggBenchmark.simulate(k, true, rounds, spec, initial, pki,
                        SecAggGraphPolicy.FULL);
                SecAggBenchmark.Result sparse = SecAggBenchmark.simulate(k, true, rounds, spec, initial, pki, plus);
                GraphDegreeRule.Choice c = GraphDegreeRule.DEFAULT.choose(k);
                double diffFull = maxAbsDiff(full.finalModel(), plain.finalModel());
                double diffPlus = maxAbsDiff(sparse.finalModel(), plain.finalModel());
                context.out().printf(Locale.ROOT, "K=%d: plain %s%nK=%d: full %s%nK=%d: secagg+ k=%d t=%d %s%n"
                        + "K=%d: max |model − plain FedAvg| full %.3g, secagg+ %.3g%n", k, brief(plain), k,
                        brief(full), k, c.degree(), c.threshold(), brief(sparse), k, diffFull, diffPlus);
                String how = k + " simulated sites in one process (threads on 2 shared cores, no network), "
                        + "production FederationRun + FedAvg + SecAggClient, attention-MIL model "
                        + initial.parameterCount() + " parameters; full SecAgg t = " + (k / 2 + 1) + "; SecAgg+ k = "
                        + c.degree() + ", t = " + c.threshold() + " per neighbourhood (γ = δ = 0.05, σ = 40, η = 20); "
                        + "no dropouts; median over rounds 2.." + rounds + " of " + rounds + "; max |model − plain "
                        + "FedAvg| after " + rounds + " rounds: full " + String.format(Locale.ROOT, "%.3g", diffFull)
                        + ", SecAgg+ " + String.format(Locale.ROOT, "%.3g", diffPlus);
                figures.add(new Figure("secagg_plus.site_cpu.k" + k, "site CPU per round, SecAgg+, K=" + k,
                        sparse.siteCpuMillis(), "ms", full.siteCpuMillis(), "full SecAgg", Double.NaN, false,
                        "median over sites of the thread CPU of the site's protocol work; " + how));
                figures.add(new Figure("secagg_plus.coordinator_cpu.k" + k, "coordinator CPU per round, SecAgg+, K="
                        + k, sparse.coordinatorCpuMillis(), "ms", full.coordinatorCpuMillis(), "full SecAgg",
                        Double.NaN, false, "process CPU less the sites' protocol CPU (coordinator threads, GC, JIT); "
                        + how));
                figures.add(new Figure("secagg_plus.aggregate.k" + k, "coordinator unmasking per round, SecAgg+, K="
                        + k, sparse.aggregateMillis(), "ms", full.aggregateMillis(), "full SecAgg", Double.NaN,
                        false, "RoundCloseTiming.aggregateSeconds (wall); " + how));
                figures.add(new Figure("secagg_plus.round_time.k" + k, "round time, SecAgg+, K=" + k,
                        sparse.roundMillis(), "ms", full.roundMillis(), "full SecAgg", Double.NaN, false,
                        "all sites share 2 cores, so this is the sum of their work; plain FedAvg "
                                + String.format(Locale.ROOT, "%.3g", plain.roundMillis()) + " ms; " + how));
                figures.add(new Figure("secagg_plus.bytes_sent.k" + k, "bytes sent per site per round, SecAgg+, K="
                        + k, sparse.sentBytes(), "B", full.sentBytes(), "full SecAgg", Double.NaN, false,
                        "protobuf payload; plain FedAvg " + Math.round(plain.sentBytes()) + " B; " + how));
                figures.add(new Figure("secagg_plus.bytes_received.k" + k, "bytes received per site per round, "
                        + "SecAgg+, K=" + k, sparse.receivedBytes(), "B", full.receivedBytes(), "full SecAgg",
                        Double.NaN, false, "protobuf payload; plain FedAvg " + Math.round(plain.receivedBytes())
                                + " B; " + how));
                figures.add(new Figure("secagg_plus.max_abs_diff.k" + k, "max abs difference, SecAgg+ model vs "
                        + "plain FedAvg model, K=" + k, diffPlus, "", diffFull, "full SecAgg's", Double.NaN, false, how));
            }
        }
        return figures;
    }

    private static String brief(SecAggBenchmark.Result r) {
        return String.format(Locale.ROOT, "round %.0f ms, site CPU %.1f ms, coordinator CPU %.0f ms, unmask %.0f ms, "
                + "sent %.0f B, received %.0f B", r.roundMillis(), r.siteCpuMillis(), r.coordinatorCpuMillis(),
                r.aggregateMillis(), r.sentBytes(), r.receivedBytes());
    }

    static double maxAbsDiff(TensorSet a, TensorSet b) {
        double worst = 0;
        for (int i = 0; i < a.tensors().size(); i++) {
            NamedTensor x = a.tensors().get(i);
            NamedTensor y = b.tensors().get(i);
            float[] u = x.values();
            float[] v = y.values();
            for (int j = 0; j < u.length; j++) {
                worst = Math.max(worst, Math.abs((double) u[j] - v[j]));
            }
        }
        return worst;
    }
}
