package org.mesascope.probes.linear;

/**
 * How a probe's regularization is chosen: {@code folds}-fold cross-validation (stratified for classifiers) over
 * {@code grid} (C for {@link LogisticProbe}, alpha for {@link RidgeProbe}; positive and increasing), rows assigned to
 * folds by a shuffle with {@code seed}. Start from {@link LogisticProbe#defaults()} or {@link RidgeProbe#defaults()}.
 */
public record CvOptions(int folds, double[] grid, long seed) {
    public static final int DEFAULT_FOLDS = 5;
    public static final long DEFAULT_SEED = 0;

    public CvOptions {
        grid = grid.clone();
    }

    @Override
    public double[] grid() {
        return grid.clone();
    }

    public CvOptions withFolds(int folds) {
        return new CvOptions(folds, grid, seed);
    }

    public CvOptions withGrid(double... grid) {
        return new CvOptions(folds, grid, seed);
    }

    public CvOptions withSeed(long seed) {
        return new CvOptions(folds, grid, seed);
    }

    /** {@code count} values from 10^from to 10^to, evenly spaced in log10 (numpy's logspace). */
    public static double[] logGrid(double from, double to, int count) {
        double[] g = new double[count];
        for (int i = 0; i < count; i++) g[i] = Math.pow(10, count == 1 ? from : from + (to - from) * i / (count - 1));
        return g;
    }
}
