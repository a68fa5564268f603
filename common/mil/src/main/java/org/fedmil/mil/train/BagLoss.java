package org.fedmil.mil.train;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/**
 * The loss of one bag with label y and logit x, as a site trains it. Per class c the loss of "the bag is c" is
 * ℓ_c = (1 − p_c)^γ · (−log p_c) (γ = 0: cross-entropy; γ > 0: the focal loss of Lin et al. 2017), or with
 * {@code gceQ} q &gt; 0 the generalized cross-entropy of Zhang and Sabuncu (2018), ℓ_c = (1 − p_c^q) / q, which is
 * cross-entropy as q → 0 and the mean absolute error at q = 1: bounded, so a bag whose label is wrong cannot
 * dominate the gradient the way it does under cross-entropy. Label smoothing ε trains toward the soft target
 * 1 − ε/2 for the bag's label and ε/2 for the other: w_y · [(1 − ε/2) ℓ_y + (ε/2) ℓ_{1−y}], with the class weight
 * w_y of the label the bag carries.
 *
 * @param gamma          focal exponent, 0 for cross-entropy; must be 0 with GCE
 * @param negativeWeight weight of a negative bag's loss
 * @param positiveWeight weight of a positive bag's loss
 * @param labelSmoothing ε in [0, 1): 0 trains on the hard label
 * @param gceQ           GCE's q in (0, 1], or 0 for the log loss (cross-entropy or focal)
 */
public record BagLoss(double gamma, double negativeWeight, double positiveWeight, double labelSmoothing,
                      double gceQ) {

    /** Unweighted binary cross-entropy. */
    public static final BagLoss CROSS_ENTROPY = new BagLoss(0, 1, 1);

    /** Cross-entropy or focal loss on hard labels. */
    public BagLoss(double gamma, double negativeWeight, double positiveWeight) {
        this(gamma, negativeWeight, positiveWeight, 0, 0);
    }

    public BagLoss {
        if (!(gamma >= 0) || !(negativeWeight > 0) || !(positiveWeight > 0)
                || Double.isInfinite(negativeWeight) || Double.isInfinite(positiveWeight)) {
            throw new IllegalArgumentException("need γ ≥ 0 and finite positive class weights, got γ=" + gamma
                    + ", w0=" + negativeWeight + ", w1=" + positiveWeight);
        }
        if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
            throw new IllegalArgumentException("label smoothing must be in [0, 1), got " + labelSmoothing);
        }
        if (!(gceQ >= 0 && gceQ <= 1)) {
            throw new IllegalArgumentException("GCE's q must be in (0, 1] (or 0 for the log loss), got " + gceQ);
        }
        if (gceQ > 0 && gamma > 0) {
            throw new IllegalArgumentException("the focal exponent γ=" + gamma + " and GCE (q=" + gceQ
                    + ") are different losses; choose one");
        }
    }

    /** The loss of one bag, differentiable, on the logit's device: a scalar array. */
    public NDArray evaluate(NDArray logit, int label) {
        // −log p_t = softplus(−s) with s = x for a positive bag and −x for a negative one. Written with as few
        // engine calls as the loss needs (3 for unweighted cross-entropy, was 7): each is a native call and an
        // array to free, and on a small model they are a visible part of a training step.
        NDArray loss = classLoss(label == 1 ? logit.neg() : logit);
        if (labelSmoothing > 0) {
            // the other class's loss: −log(1 − p_t) = softplus(s)
            loss = loss.mul(1 - labelSmoothing / 2).add(classLoss(label == 1 ? logit : logit.neg())
                    .mul(labelSmoothing / 2));
        }
        double weight = label == 1 ? positiveWeight : negativeWeight;
        return (weight == 1 ? loss : loss.mul(weight)).sum();
    }

    /** ℓ for the class whose −log p is softplus({@code minusS}). */
    private NDArray classLoss(NDArray minusS) {
        NDArray minusLogP = Activation.softPlus(minusS);
        if (gceQ > 0) {
            // (1 − p^q) / q with p^q = exp(−q · softplus(−s))
            return minusLogP.mul(-gceQ).exp().neg().add(1).div(gceQ);
        }
        if (gamma > 0) {
            // (1 − p)^γ = (1 − exp(−softplus(−s)))^γ
            return minusLogP.mul(minusLogP.neg().exp().neg().add(1).pow(gamma));
        }
        return minusLogP;
    }

    /** The same loss for a plain number, for tests and reports. */
    public double of(double logit, int label) {
        double s = label == 1 ? logit : -logit;
        double loss = classLoss(s);
        if (labelSmoothing > 0) {
            loss = (1 - labelSmoothing / 2) * loss + labelSmoothing / 2 * classLoss(-s);
        }
        return (label == 1 ? positiveWeight : negativeWeight) * loss;
    }

    private double classLoss(double s) {
        double logP = -(Math.max(-s, 0) + Math.log1p(Math.exp(-Math.abs(s))));
        if (gceQ > 0) {
            return (1 - Math.exp(gceQ * logP)) / gceQ;
        }
        double focal = gamma > 0 ? Math.pow(1 - Math.exp(logP), gamma) : 1;
        return focal * -logP;
    }
}
