package org.mesascope.probes.linear;

/**
 * An affine readout {@code s = W x + b}: {@code weight} is [outputs][d], {@code bias} is [outputs]. A logistic probe's
 * scores are logits (see {@link LogisticProbe} for the binary convention), a ridge probe's are its predictions.
 */
public record Affine(double[][] weight, double[] bias) {
    public int outputs() {
        return bias.length;
    }

    public int dim() {
        return weight[0].length;
    }

    /** {@code W x + b}. */
    public double[] apply(double[] x) {
        double[] s = new double[bias.length];
        for (int r = 0; r < s.length; r++) s[r] = bias[r] + dot(weight[r], x);
        return s;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int j = 0; j < a.length; j++) s += a[j] * b[j];
        return s;
    }
}
