package org.mesascope.probes.linear;

/**
 * Per-feature standardization {@code z_j = (x_j - mean_j) / scale_j}, fitted on training rows only and applied to
 * any rows. {@code scale_j} is the population standard deviation (ddof 0, as scikit-learn's StandardScaler); a feature
 * whose deviation is zero up to rounding gets scale 1, so it maps to a constant 0 on the training rows and an L2
 * penalized probe gives it weight 0.
 */
public final class Standardizer {
    /** A deviation at or below this fraction of the feature's magnitude is rounding noise of a constant feature. */
    private static final double CONSTANT = 1e-12;

    private final double[] mean;
    private final double[] scale;

    private Standardizer(double[] mean, double[] scale) {
        this.mean = mean;
        this.scale = scale;
    }

    /** Mean and scale of each column of {@code rows} (two passes, so a large mean does not swamp the variance). */
    public static Standardizer fit(double[][] rows) {
        int d = Checks.matrix("standardizer input", rows);
        int n = rows.length;
        double[] mean = new double[d], scale = new double[d];
        for (double[] row : rows) for (int j = 0; j < d; j++) mean[j] += row[j];
        for (int j = 0; j < d; j++) mean[j] /= n;
        for (double[] row : rows) {
            for (int j = 0; j < d; j++) {
                double c = row[j] - mean[j];
                scale[j] += c * c;
            }
        }
        for (int j = 0; j < d; j++) {
            double sd = Math.sqrt(scale[j] / n);
            scale[j] = sd <= CONSTANT * Math.max(1.0, Math.abs(mean[j])) ? 1.0 : sd;
        }
        return new Standardizer(mean, scale);
    }

    public double[] mean() {
        return mean.clone();
    }

    public double[] scale() {
        return scale.clone();
    }

    /** The standardized copy of {@code rows}. */
    public double[][] apply(double[][] rows) {
        double[][] z = new double[rows.length][mean.length];
        for (int i = 0; i < rows.length; i++) {
            for (int j = 0; j < mean.length; j++) z[i][j] = (rows[i][j] - mean[j]) / scale[j];
        }
        return z;
    }

    /**
     * The readout of raw inputs equal to {@code standardized} applied to standardized inputs:
     * {@code W z + b = W' x + b'} with {@code W'_kj = W_kj / scale_j} and {@code b'_k = b_k - sum_j W'_kj mean_j}.
     */
    public Affine toOriginal(Affine standardized) {
        double[][] w = new double[standardized.outputs()][mean.length];
        double[] b = standardized.bias().clone();
        for (int k = 0; k < w.length; k++) {
            for (int j = 0; j < mean.length; j++) {
                w[k][j] = standardized.weight()[k][j] / scale[j];
                b[k] -= w[k][j] * mean[j];
            }
        }
        return new Affine(w, b);
    }
}
