package org.mesascope.probes.linear;

import org.mesascope.core.MesascopeException;

/**
 * Ridge regression with an unpenalized intercept, possibly multi-output:
 * <pre>  min_{W,b}  sum_i ||y_i - W x_i - b||^2 + alpha ||W||_F^2            (1)</pre>
 * as scikit-learn's Ridge defines alpha (which corresponds to 1/(2C) of a logistic probe). Setting the derivative in
 * b to zero gives {@code b = ybar - W xbar}; substituting leaves (1) on centered data Xc, Yc, solved in closed form by
 * Cholesky on whichever system is smaller:
 * <pre>  primal (d <= n):  (Xc^T Xc + alpha I_d) W^T = Xc^T Yc                  (2)
 *   dual   (d >  n):  W^T = Xc^T (Xc Xc^T + alpha I_n)^{-1} Yc            (3)</pre>
 * (3) follows from (2) by the push-through identity {@code (A^T A + aI)^{-1} A^T = A^T (A A^T + aI)^{-1}}.
 */
public final class RidgeProbe {
    private RidgeProbe() {
    }

    /** 5 folds; alpha in 10^-3 .. 10^5, one value per decade (9 values); seed 0. */
    public static CvOptions defaults() {
        return new CvOptions(CvOptions.DEFAULT_FOLDS, CvOptions.logGrid(-3, 5, 9), CvOptions.DEFAULT_SEED);
    }

    /**
     * The outcome of {@link #crossValidate}: the chosen alpha; the grid and the mean held-out R^2 at each of its values;
     * the held-out R^2 of each fold at the chosen alpha with their mean and population std; and the probe refitted on
     * all rows at the chosen alpha, as a readout of the original (unstandardized) inputs.
     */
    public record Result(double alpha, double[] grid, double[] gridMeanR2, double[] foldR2, double meanR2,
                         double stdR2, Affine model) {
    }

    /** Solves (1) on {@code x} as given (no standardization). {@code y} is [n][outputs]; alpha must be positive. */
    public static Affine fit(double[][] x, double[][] y, double alpha) {
        Checks.matrix("x", x);
        Checks.matrix("targets", y);
        Checks.sameRows("targets", y.length, "x", x.length);
        if (!(alpha > 0) || !Double.isFinite(alpha)) throw new MesascopeException("alpha must be positive, got " + alpha);
        return new Normal(x, y).solve(alpha);
    }

    /**
     * Chooses alpha by k-fold cross-validation (plain k-fold, rows shuffled with the seed): per fold, the features are
     * standardized on the training rows and (1) is solved for every alpha; the best mean held-out R^2 wins, ties going
     * to the larger alpha. {@code y} is [n][outputs].
     */
    public static Result crossValidate(double[][] x, double[][] y, CvOptions options) {
        Checks.matrix("x", x);
        Checks.matrix("targets", y);
        Checks.sameRows("targets", y.length, "x", x.length);
        Checks.folds(options.folds(), x.length);
        Checks.grid("alpha", options.grid());
        return crossValidate(x, y, options.grid(), Folds.kFold(x.length, options.folds(), options.seed()), options.folds());
    }

    static Result crossValidate(double[][] x, double[][] y, double[] grid, int[] fold, int folds) {
        double[][] r2 = new double[grid.length][folds];
        for (int f = 0; f < folds; f++) {
            int[] train = Folds.indices(fold, f, false), test = Folds.indices(fold, f, true);
            Standardizer s = Standardizer.fit(Folds.x(x, train));
            Normal normal = new Normal(s.apply(Folds.x(x, train)), Folds.x(y, train));
            double[][] zTest = s.apply(Folds.x(x, test)), yTest = Folds.x(y, test);
            for (int a = 0; a < grid.length; a++) {
                Affine m = normal.solve(grid[a]);
                double[][] predicted = new double[test.length][];
                for (int i = 0; i < test.length; i++) predicted[i] = m.apply(zTest[i]);
                r2[a][f] = Metrics.r2(predicted, yTest);
            }
        }
        double[] gridMean = new double[grid.length];
        int best = grid.length - 1;
        for (int a = grid.length - 1; a >= 0; a--) {
            gridMean[a] = Metrics.mean(r2[a]);
            if (gridMean[a] > gridMean[best]) best = a;
        }
        Standardizer s = Standardizer.fit(x);
        Affine model = s.toOriginal(new Normal(s.apply(x), y).solve(grid[best]));
        return new Result(grid[best], grid.clone(), gridMean, r2[best], gridMean[best], Metrics.std(r2[best]), model);
    }

    /** The centered system (2) or (3) of one training set, built once and solved for each alpha. */
    private static final class Normal {
        private final double[] xMean, yMean;
        private final double[][] xc;
        private final boolean primal;
        /** Xc^T Xc (primal, lower triangle) or Xc Xc^T (dual, lower triangle). */
        private final double[][] gram;
        /** Xc^T Yc (primal) or Yc (dual). */
        private final double[][] rhs;

        Normal(double[][] x, double[][] y) {
            int n = x.length, d = x[0].length, m = y[0].length;
            xMean = columnMeans(x);
            yMean = columnMeans(y);
            xc = centered(x, xMean);
            double[][] yc = centered(y, yMean);
            primal = d <= n;
            if (primal) {
                gram = new double[d][d];
                rhs = new double[d][m];
                for (int i = 0; i < n; i++) {
                    double[] row = xc[i];
                    for (int j = 0; j < d; j++) {
                        double v = row[j];
                        double[] g = gram[j];
                        for (int k = 0; k <= j; k++) g[k] += v * row[k];
                        for (int c = 0; c < m; c++) rhs[j][c] += v * yc[i][c];
                    }
                }
            } else {
                gram = new double[n][n];
                for (int i = 0; i < n; i++) for (int k = 0; k <= i; k++) gram[i][k] = Affine.dot(xc[i], xc[k]);
                rhs = yc;
            }
        }

        Affine solve(double alpha) {
            int size = gram.length, m = yMean.length, d = xMean.length;
            double[][] a = new double[size][], b = new double[size][];
            for (int i = 0; i < size; i++) {
                a[i] = gram[i].clone();
                a[i][i] += alpha;
                b[i] = rhs[i].clone();
            }
            double[][] sol = Cholesky.solveInPlace(a, b);
            double[][] w = new double[m][d];
            for (int c = 0; c < m; c++) {
                if (primal) {
                    for (int j = 0; j < d; j++) w[c][j] = sol[j][c];
                } else {
                    for (int i = 0; i < xc.length; i++) {
                        double s = sol[i][c];
                        for (int j = 0; j < d; j++) w[c][j] += xc[i][j] * s;
                    }
                }
            }
            double[] bias = yMean.clone();
            for (int c = 0; c < m; c++) bias[c] -= Affine.dot(w[c], xMean);
            return new Affine(w, bias);
        }

        private static double[] columnMeans(double[][] x) {
            double[] mean = new double[x[0].length];
            for (double[] row : x) for (int j = 0; j < mean.length; j++) mean[j] += row[j];
            for (int j = 0; j < mean.length; j++) mean[j] /= x.length;
            return mean;
        }

        private static double[][] centered(double[][] x, double[] mean) {
            double[][] c = new double[x.length][mean.length];
            for (int i = 0; i < x.length; i++) for (int j = 0; j < mean.length; j++) c[i][j] = x[i][j] - mean[j];
            return c;
        }
    }
}
