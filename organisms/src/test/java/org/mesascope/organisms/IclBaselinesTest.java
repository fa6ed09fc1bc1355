package org.mesascope.organisms;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Least squares, ridge and gradient descent against closed forms and known error curves. */
class IclBaselinesTest {
    private static List<IclRegressionTask.Sequence> sample(IclRegressionTask task, int count, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<IclRegressionTask.Sequence> sequences = new ArrayList<>();
        for (int n = 0; n < count; n++) sequences.add(task.sample(random));
        return sequences;
    }

    /** In one dimension least squares is Σxy / Σx², and ridge Σxy / (Σx² + λ). */
    @Test
    void oneDimensionMatchesTheClosedForm() {
        double[][] x = {{0.5}, {-1.5}, {2.0}, {0.25}};
        double[] y = {1.0, -2.0, 3.5, 0.0};
        double sxy = 0.5 * 1.0 + 1.5 * 2.0 + 2.0 * 3.5;
        double sxx = 0.25 + 2.25 + 4.0 + 0.0625;
        assertEquals(sxy / sxx, IclBaselines.leastSquaresWeights(x, y, 4)[0], 1e-14);
        assertEquals(sxy / (sxx + 0.7), IclBaselines.ridgeWeights(x, y, 4, 0.7)[0], 1e-14);
        assertEquals(0.5 * 1.0 / 0.25, IclBaselines.leastSquaresWeights(x, y, 1)[0], 1e-14, "one pair");
        assertEquals(0.0, IclBaselines.leastSquaresWeights(x, y, 0)[0], 0.0, "no pairs: w = 0");
    }

    /** Noise-free, D pairs or more pin w down exactly; fewer give the minimum-norm fit: in the inputs' span, exact on them. */
    @Test
    void leastSquaresIsExactFromDPairsAndMinimumNormBefore() {
        IclRegressionTask task = new IclRegressionTask(5, 12, 0);
        for (IclRegressionTask.Sequence s : sample(task, 50, 1)) {
            for (int count = 5; count <= 12; count++) {
                assertArrayEquals(s.w(), IclBaselines.leastSquaresWeights(s.x(), s.y(), count), 1e-8);
            }
            for (int count = 1; count < 5; count++) {
                double[] w = IclBaselines.leastSquaresWeights(s.x(), s.y(), count);
                for (int j = 0; j < count; j++) assertEquals(s.y()[j], IclBaselines.dot(w, s.x()[j], 5), 1e-9, "fits pair " + j);
                // the minimum-norm fit is the true w projected onto the span of the inputs seen
                double[] residual = s.w().clone();
                for (int a = 0; a < 5; a++) residual[a] -= w[a];
                for (int j = 0; j < count; j++) assertEquals(0, IclBaselines.dot(residual, s.x()[j], 5), 1e-9);
            }
        }
    }

    /** Both forms of ridge satisfy its normal equations (XᵀX + λI) w = Xᵀy. */
    @Test
    void ridgeSolvesItsNormalEquationsInBothForms() {
        IclRegressionTask task = new IclRegressionTask(4, 8, 0.3);
        for (IclRegressionTask.Sequence s : sample(task, 20, 2)) {
            for (int count : new int[] {2, 3, 4, 6, 8}) {
                double lambda = 0.4;
                double[] w = IclBaselines.ridgeWeights(s.x(), s.y(), count, lambda);
                for (int a = 0; a < 4; a++) {
                    double lhs = lambda * w[a];
                    double rhs = 0;
                    for (int j = 0; j < count; j++) {
                        lhs += s.x()[j][a] * IclBaselines.dot(w, s.x()[j], 4);
                        rhs += s.x()[j][a] * s.y()[j];
                    }
                    assertEquals(rhs, lhs, 1e-10, count + " pairs, coordinate " + a);
                }
            }
        }
    }

    /**
     * For x, w ~ N(0, I_D) without noise, the minimum-norm fit to i &lt; D pairs misses the part of w outside their
     * span, D − i dimensions of unit variance: expected squared error D − i, and 0 from i = D on.
     */
    @Test
    void leastSquaresErrorFallsToZeroAtDPairs() {
        IclRegressionTask task = new IclRegressionTask(5, 10, 0);
        double[] curve = IclBaselines.errorCurve(sample(task, 4000, 3), IclBaselines.leastSquares());
        assertEquals(11, curve.length);
        for (int i = 0; i < 5; i++) assertEquals(5 - i, curve[i], 0.1 * (5 - i), "context " + i);
        for (int i = 5; i <= 10; i++) assertEquals(0, curve[i], 1e-12, "context " + i);
        for (int i = 1; i < 5; i++) assertTrue(curve[i] < curve[i - 1]);
    }

    /** One step from w = 0 predicts η Σ y_j (x_j·x_q): von Oswald et al.'s linear self-attention layer. */
    @Test
    void oneGradientStepIsTheLinearAttentionPrediction() {
        IclRegressionTask.Sequence s = IclRegressionTask.training().sample(new SplittableRandom(4));
        double eta = 0.03;
        for (int i = 0; i <= s.pairs(); i++) {
            double attention = 0;
            for (int j = 0; j < i; j++) attention += eta * s.y()[j] * IclBaselines.dot(s.x()[j], s.x()[i], s.dim());
            assertEquals(attention, IclBaselines.gradientDescent(1, eta).predict(s, i), 1e-12);
        }
    }

    /** With a step below 2 / λ_max, gradient descent from 0 converges to least squares, the minimum-norm fit included. */
    @Test
    void gradientDescentApproachesLeastSquares() {
        IclRegressionTask task = IclRegressionTask.training();
        List<IclRegressionTask.Sequence> sequences = sample(task, 500, 5);
        for (IclRegressionTask.Sequence s : sequences.subList(0, 20)) {
            for (int count : new int[] {2, s.pairs()}) {
                double trace = 0; // ≥ λ_max of XᵀX, so η = 1 / trace is a safe step
                for (int j = 0; j < count; j++) trace += IclBaselines.dot(s.x()[j], s.x()[j], s.dim());
                assertArrayEquals(IclBaselines.leastSquaresWeights(s.x(), s.y(), count),
                        IclBaselines.gradientDescentWeights(s.x(), s.y(), count, 20000, 1 / trace), 1e-8);
            }
        }

        // the error curves close in on least squares' as the steps grow (η = 0.02 < 2 / λ_max for 15 pairs in 5 dimensions)
        double[] exact = IclBaselines.errorCurve(sequences, IclBaselines.leastSquares());
        List<Double> gaps = new ArrayList<>();
        for (int steps : new int[] {1, 10, 100, 1000}) {
            double[] curve = IclBaselines.errorCurve(sequences, IclBaselines.gradientDescent(steps, 0.02));
            double gap = 0;
            for (int i = 0; i < curve.length; i++) gap += Math.abs(curve[i] - exact[i]);
            gaps.add(gap);
        }
        for (int k = 1; k < gaps.size(); k++) assertTrue(gaps.get(k) < gaps.get(k - 1), "gaps " + gaps);
        assertTrue(gaps.getLast() < 0.05 * gaps.getFirst(), "gaps " + gaps);
    }

    /** With noise σ, ridge with λ = σ² (the posterior mean) is never worse than least squares, and much better near i = D. */
    @Test
    void ridgeBeatsLeastSquaresOnNoisyData() {
        IclRegressionTask task = new IclRegressionTask(5, 15, 0.5);
        List<IclRegressionTask.Sequence> sequences = sample(task, 4000, 6);
        double[] ls = IclBaselines.errorCurve(sequences, IclBaselines.leastSquares());
        double[] ridge = IclBaselines.errorCurve(sequences, IclBaselines.ridge(0.25));
        for (int i = 0; i < ls.length; i++) assertTrue(ridge[i] <= ls[i] * 1.01, "context " + i + ": " + ridge[i] + " vs " + ls[i]);
        assertTrue(ridge[5] < ls[5] / 2, "least squares interpolates the noise at i = D: " + ls[5] + " vs " + ridge[5]);
        assertTrue(ridge[15] < 0.5, "and both approach the noise floor 0.25: " + ridge[15]);
    }
}
