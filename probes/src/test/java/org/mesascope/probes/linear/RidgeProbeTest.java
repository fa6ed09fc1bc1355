package org.mesascope.probes.linear;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.mesascope.core.MesascopeException;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ridge against an independent closed form: the augmented normal equations {@code (Xa^T Xa + alpha I') theta = Xa^T y}
 * with {@code Xa = [X, 1]} and {@code I' = diag(1, .., 1, 0)} (the intercept unpenalized), solved by Gaussian
 * elimination rather than by centering and Cholesky.
 */
class RidgeProbeTest {
    /** The bar for agreement with an independent solver. */
    private static final double AGREEMENT = 1e-4;

    @Test
    void primalSolveEqualsTheAugmentedNormalEquations() {
        SplittableRandom random = new SplittableRandom(1);
        double[][] x = shiftedAndScaled(Synthetic.gaussian(random, 120, 20), random);
        double[][] y = Synthetic.gaussian(random, 120, 3);
        assertAgrees(x, y, 3.7);
    }

    @Test
    void dualSolveForFewerRowsThanFeaturesEqualsTheAugmentedNormalEquations() {
        SplittableRandom random = new SplittableRandom(2);
        double[][] x = shiftedAndScaled(Synthetic.gaussian(random, 30, 80), random);
        double[][] y = Synthetic.gaussian(random, 30, 2);
        assertAgrees(x, y, 0.5);
    }

    private static void assertAgrees(double[][] x, double[][] y, double alpha) {
        Affine fit = RidgeProbe.fit(x, y, alpha);
        for (int c = 0; c < y[0].length; c++) {
            double[] theta = augmentedSolve(x, column(y, c), alpha);
            double[] ours = Arrays.copyOf(fit.weight()[c], theta.length);
            ours[theta.length - 1] = fit.bias()[c];
            double err = Synthetic.relativeError(ours, theta);
            assertTrue(err <= AGREEMENT, "output " + c + ": relative error " + err);
        }
    }

    @Test
    void crossValidatedR2PerFoldAndTheFinalProbeMatchAnIndependentPipeline() {
        SplittableRandom random = new SplittableRandom(3);
        int n = 200, d = 30;
        double[][] x = shiftedAndScaled(Synthetic.gaussian(random, n, d), random);
        double[] w = Synthetic.unit(random, d);
        double[][] y = new double[n][1];
        for (int i = 0; i < n; i++) y[i][0] = Affine.dot(w, x[i]) + 0.05 * random.nextGaussian();
        RidgeProbe.Result r = RidgeProbe.crossValidate(x, y, RidgeProbe.defaults());

        int[] fold = Folds.kFold(n, 5, 0);
        for (int f = 0; f < 5; f++) {
            int[] train = Folds.indices(fold, f, false), test = Folds.indices(fold, f, true);
            double[] theta = standardizedSolve(Folds.x(x, train), Folds.x(y, train), r.alpha());
            double yMean = 0;
            for (int i : test) yMean += y[i][0];
            yMean /= test.length;
            double res = 0, tot = 0;
            for (int i : test) {
                double e = y[i][0] - rawPrediction(theta, Folds.x(x, train), x[i]);
                res += e * e;
                tot += (y[i][0] - yMean) * (y[i][0] - yMean);
            }
            assertEquals(1 - res / tot, r.foldR2()[f], 1e-8, "fold " + f);
        }
        double[] all = standardizedSolve(x, y, r.alpha());
        for (int i = 0; i < n; i += 7) {
            assertEquals(rawPrediction(all, x, x[i]), r.model().apply(x[i])[0], 1e-8 * (1 + Math.abs(y[i][0])));
        }
        assertTrue(r.meanR2() > 0.9, "a planted linear target is predictable: R^2 " + r.meanR2());
        for (double m : r.gridMeanR2()) assertTrue(m <= r.meanR2(), "the chosen alpha has the best mean R^2");
    }

    @Test
    void badInputFailsWithOneLine() {
        double[][] x = {{1, 2}, {3, 4}, {5, 7}};
        assertOneLine(() -> RidgeProbe.fit(x, new double[][] {{1}, {2}}, 1), "2 targets for 3 rows");
        assertOneLine(() -> RidgeProbe.fit(x, new double[][] {{1}, {2}, {3}}, 0), "alpha must be positive");
        assertOneLine(() -> RidgeProbe.fit(new double[][] {{1, 2}, {Double.NaN, 4}}, new double[][] {{1}, {2}}, 1),
                "x holds NaN at row 1, column 0");
    }

    static void assertOneLine(Executable call, String expected) {
        MesascopeException e = assertThrows(MesascopeException.class, call);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }

    /** theta = [w; b] from the augmented normal equations, by Gaussian elimination. */
    static double[] augmentedSolve(double[][] x, double[] y, double alpha) {
        int n = x.length, d = x[0].length;
        double[][] m = new double[d + 1][d + 1];
        double[] rhs = new double[d + 1];
        for (int i = 0; i < n; i++) {
            double[] xa = Arrays.copyOf(x[i], d + 1);
            xa[d] = 1;
            for (int j = 0; j <= d; j++) {
                rhs[j] += xa[j] * y[i];
                for (int k = 0; k <= d; k++) m[j][k] += xa[j] * xa[k];
            }
        }
        for (int j = 0; j < d; j++) m[j][j] += alpha;
        return Synthetic.gaussianElimination(m, rhs);
    }

    /** Standardize on {@code x} (population std), then the augmented solve; theta is in standardized space. */
    private static double[] standardizedSolve(double[][] x, double[][] y, double alpha) {
        return augmentedSolve(standardize(x, x), column(y, 0), alpha);
    }

    private static double rawPrediction(double[] theta, double[][] fittedOn, double[] row) {
        double[] z = standardize(fittedOn, new double[][] {row})[0];
        double s = theta[theta.length - 1];
        for (int j = 0; j < z.length; j++) s += theta[j] * z[j];
        return s;
    }

    private static double[][] standardize(double[][] fittedOn, double[][] rows) {
        int d = fittedOn[0].length, n = fittedOn.length;
        double[][] z = new double[rows.length][d];
        for (int j = 0; j < d; j++) {
            double mean = 0, var = 0;
            for (double[] r : fittedOn) mean += r[j] / n;
            for (double[] r : fittedOn) var += (r[j] - mean) * (r[j] - mean) / n;
            for (int i = 0; i < rows.length; i++) z[i][j] = (rows[i][j] - mean) / Math.sqrt(var);
        }
        return z;
    }

    /** Per-column offsets in [-3, 3] and scales in [0.2, 5], so standardization and the intercept matter. */
    static double[][] shiftedAndScaled(double[][] x, SplittableRandom random) {
        int d = x[0].length;
        double[] shift = new double[d], scale = new double[d];
        for (int j = 0; j < d; j++) {
            shift[j] = random.nextDouble(-3, 3);
            scale[j] = random.nextDouble(0.2, 5);
        }
        for (double[] row : x) for (int j = 0; j < d; j++) row[j] = shift[j] + scale[j] * row[j];
        return x;
    }

    static double[] column(double[][] y, int c) {
        double[] v = new double[y.length];
        for (int i = 0; i < y.length; i++) v[i] = y[i][c];
        return v;
    }
}
