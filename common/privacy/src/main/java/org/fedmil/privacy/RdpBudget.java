package org.fedmil.privacy;

import java.util.Arrays;

/**
 * An immutable running total of Rényi-DP over fixed orders. RDP composes by addition per order, so a budget after
 * several releases is the sum of their RDP vectors whatever their noise levels and sampling rates.
 */
public final class RdpBudget {

    private final double[] orders;
    private final double[] rdp;

    private RdpBudget(double[] orders, double[] rdp) {
        this.orders = orders;
        this.rdp = rdp;
    }

    /** Nothing spent yet, over {@link RdpAccountant#defaultOrders()}. */
    public static RdpBudget empty() {
        return empty(RdpAccountant.defaultOrders());
    }

    public static RdpBudget empty(double[] orders) {
        return of(orders, new double[orders.length]);
    }

    /** A budget that has already spent {@code rdp} (one value per order). */
    public static RdpBudget of(double[] orders, double[] rdp) {
        if (orders.length != rdp.length || orders.length == 0) {
            throw new IllegalArgumentException("need one RDP value per order and at least one order; got "
                    + orders.length + " orders and " + rdp.length + " values");
        }
        for (int i = 0; i < orders.length; i++) {
            if (!(orders[i] > 1)) {
                throw new IllegalArgumentException("Rényi order must be > 1, got " + orders[i] + " at index " + i);
            }
            if (!(rdp[i] >= 0)) {
                throw new IllegalArgumentException("RDP must be ≥ 0, got " + rdp[i] + " at order " + orders[i]);
            }
        }
        return new RdpBudget(orders.clone(), rdp.clone());
    }

    /** This budget plus {@code steps} releases of the Gaussian mechanism with noise multiplier σ at sampling rate q. */
    public RdpBudget compose(double q, double noiseMultiplier, int steps) {
        double[] more = RdpAccountant.rdpOfSampledGaussian(q, noiseMultiplier, steps, orders);
        double[] sum = new double[orders.length];
        for (int i = 0; i < sum.length; i++) {
            sum[i] = rdp[i] + more[i];
        }
        return new RdpBudget(orders, sum);
    }

    /** (ε, δ) spent so far, with the default (tight) conversion. */
    public PrivacySpent spent(double delta) {
        return RdpAccountant.epsilon(orders, rdp, delta);
    }

    public PrivacySpent spent(double delta, RdpAccountant.Conversion conversion) {
        return RdpAccountant.epsilon(orders, rdp, delta, conversion);
    }

    public double[] orders() {
        return orders.clone();
    }

    public double[] rdp() {
        return rdp.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RdpBudget b && Arrays.equals(orders, b.orders) && Arrays.equals(rdp, b.rdp);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(orders) + Arrays.hashCode(rdp);
    }

    @Override
    public String toString() {
        return "RdpBudget[" + orders.length + " orders, " + spent(1e-5) + " at δ=1e-5]";
    }
}
