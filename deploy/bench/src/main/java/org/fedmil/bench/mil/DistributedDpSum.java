package org.fedmil.bench.mil;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.fedmil.privacy.DistributedDiscreteGaussian;
import org.fedmil.secagg.FixedPoint;
import org.fedmil.secagg.SecAggParameters;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;

/**
 * One round of distributed DP under secure aggregation as the sites and the coordinator compute it, less the masks
 * (they cancel exactly in the ring, so leaving them out changes no bit of the sum): every site clips its delta to
 * C, encodes it weighted by its bag count in the round's fixed point ({@link FixedPoint}, the parameters of
 * {@link SecAggParameters#chooseForDistributedNoise}), adds its share of the discrete Gaussian
 * ({@link DistributedDiscreteGaussian#addNoise}) and the shares are summed with wrap-around; the decoded weighted
 * mean is what FedAvg applies. Every site survives, so the threshold t is the number of sites.
 */
final class DistributedDpSum {

    private final DistributedDiscreteGaussian noise;
    private final SecAggParameters parameters;
    private final List<TensorSpec> specs;
    private final long[] sum;
    private long bags;

    DistributedDpSum(double clipNorm, double noiseMultiplier, int sites, long maxBags, List<TensorSpec> specs,
                     int round) {
        this.specs = List.copyOf(specs);
        long length = 0;
        for (TensorSpec s : specs) {
            length += NamedTensor.elementCount(s.shape());
        }
        this.noise = new DistributedDiscreteGaussian(clipNorm, noiseMultiplier, sites);
        // the coordinate bound leaves room for the noise beside the clipped delta, as the coordinator sets it
        this.parameters = SecAggParameters.chooseForDistributedNoise("bench", round, sites, sites,
                Math.toIntExact(length), maxBags, clipNorm * (1 + 10 * noiseMultiplier), clipNorm);
        this.sum = new long[Math.toIntExact(length)];
    }

    /** One site's contribution: clipped, encoded at weight {@code siteBags}, its noise share added, summed. */
    void add(TensorSet delta, long siteBags, Random random) {
        float[] flat = new float[sum.length];
        int at = 0;
        for (NamedTensor t : delta.tensors()) {
            System.arraycopy(t.values(), 0, flat, at, t.size());
            at += t.size();
        }
        double factor = noise.clipFactor(flat);
        if (factor < 1) {
            for (int i = 0; i < flat.length; i++) {
                flat[i] = (float) (flat[i] * factor);
            }
        }
        long[] encoded = FixedPoint.encode(flat, siteBags, parameters).values();
        noise.addNoise(encoded, parameters.integerScale(), random);
        for (int i = 0; i < sum.length; i++) {
            sum[i] += encoded[i];
        }
        bags += siteBags;
    }

    /** The noised weighted mean of the contributions, as FedAvg's update. */
    TensorSet mean() {
        float[] mean = FixedPoint.decodeMean(sum, bags, parameters);
        List<NamedTensor> out = new ArrayList<>();
        int at = 0;
        for (TensorSpec s : specs) {
            int n = Math.toIntExact(NamedTensor.elementCount(s.shape()));
            float[] values = new float[n];
            System.arraycopy(mean, at, values, 0, n);
            at += n;
            out.add(new NamedTensor(s.name(), s.shape(), values));
        }
        return new TensorSet(out);
    }

    /** z', the central noise multiplier the ledger charges for this round (rounding and τ included). */
    double centralNoiseMultiplier() {
        return noise.centralNoiseMultiplier(parameters.integerScale(), sum.length);
    }
}
