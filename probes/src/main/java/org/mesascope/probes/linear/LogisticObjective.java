package org.mesascope.probes.linear;

import java.util.Arrays;

/**
 * The penalized logistic loss of {@link LogisticProbe}, scaled by 1/(nC) so that its size does not grow with n or C:
 * <pre>  F(W, b) = (1/n) [ sum_i -log p(y_i | x_i) + ||W||_F^2 / (2C) ]                         (1)
 *   log p(c | x) = z_c - log sum_k exp z_k                                                   (2)</pre>
 * with logits {@code z_c = W_c x + b_c} for K > 2 classes (softmax), and for K = 2 {@code z_0 = 0, z_1 = w x + b}
 * (one output, the logit of class 1). (1) times nC is scikit-learn's {@code C sum_i loss_i + ||W||^2 / 2}, so both
 * have the same minimizer. The gradient, with {@code c(r)} the class of output r and {@code [.]} the indicator:
 * <pre>  dF/dW_r = (1/n) [ sum_i (p(c(r) | x_i) - [y_i = c(r)]) x_i + W_r / C ]
 *   dF/db_r = (1/n)   sum_i (p(c(r) | x_i) - [y_i = c(r)])                                    (3)</pre>
 * Parameters are packed as W row-major ([outputs][d]) followed by b ([outputs]).
 */
final class LogisticObjective implements Lbfgs.Objective {
    private final double[][] x;
    private final int[] y;
    private final int classes;
    private final double c;

    LogisticObjective(double[][] x, int[] y, int classes, double c) {
        this.x = x;
        this.y = y;
        this.classes = classes;
        this.c = c;
    }

    /** One output (the logit of class 1) for two classes, one per class otherwise. */
    static int outputs(int classes) {
        return classes == 2 ? 1 : classes;
    }

    /** The class whose logit output r is. */
    static int classOf(int r, int classes) {
        return classes == 2 ? 1 : r;
    }

    @Override
    public double evaluate(double[] theta, double[] gradient) {
        int d = x[0].length, outputs = outputs(classes), n = x.length;
        Arrays.fill(gradient, 0);
        double loss = 0;
        double[] z = new double[classes];
        for (int i = 0; i < n; i++) {
            double[] xi = x[i];
            logits(theta, xi, z);
            double lse = logSumExp(z);
            loss += lse - z[y[i]];
            for (int r = 0; r < outputs; r++) {
                int cls = classOf(r, classes);
                double residual = Math.exp(z[cls] - lse) - (y[i] == cls ? 1 : 0);
                int off = r * d;
                for (int j = 0; j < d; j++) gradient[off + j] += residual * xi[j];
                gradient[outputs * d + r] += residual;
            }
        }
        double penalty = 0;
        for (int k = 0; k < outputs * d; k++) {
            penalty += theta[k] * theta[k];
            gradient[k] += theta[k] / c;
        }
        for (int k = 0; k < gradient.length; k++) gradient[k] /= n;
        return (loss + penalty / (2 * c)) / n;
    }

    /** Logits (2) of {@code x} under packed parameters. */
    private void logits(double[] theta, double[] xi, double[] z) {
        int d = xi.length, outputs = outputs(classes);
        z[0] = 0;
        for (int r = 0; r < outputs; r++) {
            double s = theta[outputs * d + r];
            int off = r * d;
            for (int j = 0; j < d; j++) s += theta[off + j] * xi[j];
            z[classOf(r, classes)] = s;
        }
    }

    static double logSumExp(double[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) max = Math.max(max, v);
        double s = 0;
        for (double v : z) s += Math.exp(v - max);
        return max + Math.log(s);
    }

    static double[] pack(Affine model) {
        int outputs = model.outputs(), d = model.dim();
        double[] theta = new double[outputs * (d + 1)];
        for (int r = 0; r < outputs; r++) {
            System.arraycopy(model.weight()[r], 0, theta, r * d, d);
            theta[outputs * d + r] = model.bias()[r];
        }
        return theta;
    }

    static Affine unpack(double[] theta, int outputs, int d) {
        double[][] w = new double[outputs][];
        for (int r = 0; r < outputs; r++) w[r] = Arrays.copyOfRange(theta, r * d, (r + 1) * d);
        return new Affine(w, Arrays.copyOfRange(theta, outputs * d, outputs * (d + 1)));
    }
}
