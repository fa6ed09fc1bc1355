package org.mesascope.probes.ccs;

/**
 * ArrayAdamW (Loshchilov & Hutter 2019) on a flat parameter vector, as {@code torch.optim.ArrayAdamW} computes it, which is the
 * optimizer of the CCS paper's code: the weight decay shrinks every parameter directly, then Adam's bias-corrected
 * moments take the step.
 * <pre>  theta <- theta (1 - lr wd)
 *   m <- b1 m + (1 - b1) g,   v <- b2 v + (1 - b2) g^2
 *   theta <- theta - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)</pre>
 * with PyTorch's defaults b1 = 0.9, b2 = 0.999, eps = 1e-8.
 */
final class ArrayAdamW {
    static final double BETA1 = 0.9, BETA2 = 0.999, EPS = 1e-8;

    private final double learningRate, weightDecay;
    private final double[] m, v;
    private int t;

    ArrayAdamW(int parameters, double learningRate, double weightDecay) {
        this.learningRate = learningRate;
        this.weightDecay = weightDecay;
        m = new double[parameters];
        v = new double[parameters];
    }

    void step(double[] theta, double[] gradient) {
        t++;
        double correction1 = 1 - Math.pow(BETA1, t), correction2 = 1 - Math.pow(BETA2, t);
        for (int k = 0; k < theta.length; k++) {
            double g = gradient[k];
            theta[k] *= 1 - learningRate * weightDecay;
            m[k] = BETA1 * m[k] + (1 - BETA1) * g;
            v[k] = BETA2 * v[k] + (1 - BETA2) * g * g;
            theta[k] -= learningRate * (m[k] / correction1) / (Math.sqrt(v[k] / correction2) + EPS);
        }
    }
}
