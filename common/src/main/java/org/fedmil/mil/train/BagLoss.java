package org.fedmil.mil.train;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/**
 * The loss of one bag with label y and logit x, as a site trains it:
 * w_y · (1 − p_t)^γ · (−log p_t), where p_t is the probability the model gives the true label. γ = 0 is weighted
 * binary cross-entropy; γ > 0 is the focal loss of Lin et al. (2017), with the class weight in the role of α.
 *
 * @param gamma          focal exponent, 0 for cross-entropy
 * @param negativeWeight weight of a negative bag's loss
 * @param positiveWeight weight of a positive bag's loss
 */
public record BagLoss(double gamma, double negativeWeight, double positiveWeight) {

    /** Unweighted binary cross-entropy. */
    public static final BagLoss CROSS_ENTROPY = new BagLoss(0, 1, 1);

    public BagLoss {
        if (!(gamma >= 0) || !(negativeWeight > 0) || !(positiveWeight > 0)
                || Double.isInfinite(negativeWeight) || Double.isInfinite(positiveWeight)) {
            throw new IllegalArgumentException("need γ ≥ 0 and finite positive class weights, got γ=" + gamma
                    + ", w0=" + negativeWeight + ", w1=" + positiveWeight);
        }
    }

    /** The loss of one bag, differentiable, on the logit's device: a scalar array. */
    public NDArray evaluate(NDArray logit, int label) {
        // −log p_t = softplus(−s) with s = x for a positive bag and −x for a negative one. Written with as few
        // engine calls as the loss needs (3 for unweighted cross-entropy, was 7): each is a native call and an
        // array to free, and on a small model they are a visible part of a training step (issue 7, item 5).
        NDArray minusLogPt = Activation.softPlus(label == 1 ? logit.neg() : logit);
        NDArray loss = minusLogPt;
        if (gamma > 0) {
            // (1 − p_t)^γ = (1 − exp(−softplus(−s)))^γ
            loss = loss.mul(minusLogPt.neg().exp().neg().add(1).pow(gamma));
        }
        double weight = label == 1 ? positiveWeight : negativeWeight;
        return (weight == 1 ? loss : loss.mul(weight)).sum();
    }

    /** The same loss for a plain number, for tests and reports. */
    public double of(double logit, int label) {
        double s = label == 1 ? logit : -logit;
        double logPt = -(Math.max(-s, 0) + Math.log1p(Math.exp(-Math.abs(s))));
        double focal = gamma > 0 ? Math.pow(1 - Math.exp(logPt), gamma) : 1;
        return (label == 1 ? positiveWeight : negativeWeight) * focal * -logPt;
    }
}
