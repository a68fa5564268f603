package org.fedmil.privacy;

/**
 * An (ε, δ)-DP guarantee derived from Rényi-DP: the smallest ε over the accountant's orders at the given δ.
 *
 * @param epsilon    ε; {@code Double.POSITIVE_INFINITY} when no order gives a finite bound
 * @param delta      δ the guarantee holds at
 * @param order      the Rényi order α that achieved the minimum (NaN if none did)
 * @param conversion which RDP → (ε, δ) conversion produced ε
 */
public record PrivacySpent(double epsilon, double delta, double order, RdpAccountant.Conversion conversion) {
}
