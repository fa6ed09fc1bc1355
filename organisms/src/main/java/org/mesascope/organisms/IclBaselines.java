package org.mesascope.organisms;

import java.util.Arrays;
import java.util.List;

/**
 * The learning algorithms that the icl-regression organism is compared with (issue 6, "learned optimizer in
 * context"): least squares, ridge regression and k steps of gradient descent, each fitted to the first i pairs of a
 * sequence and asked for y_i. Plain double loops: the problems are D × D or i × i with D and i in the tens.
 * <p>
 * Each baseline is linear in the query, so its weights are also its sensitivity to the query: the input gradient to
 * compare with the model's.
 */
public final class IclBaselines {
    private IclBaselines() {
    }

    /** A prediction of y_i from pairs 0 .. i-1 of a sequence and the input x_i (0 ≤ i ≤ n). */
    @FunctionalInterface
    public interface Predictor {
        double predict(IclRegressionTask.Sequence sequence, int i);
    }

    /**
     * Least squares on the first {@code count} pairs: the exact fit once {@code count ≥ D} (for x in general
     * position), and below that the minimum-norm fit, which for w ~ N(0, I) and no noise is also the posterior mean of
     * w, the best possible prediction.
     */
    public static double[] leastSquaresWeights(double[][] x, double[] y, int count) {
        return ridgeWeights(x, y, count, 0);
    }

    /**
     * Ridge regression on the first {@code count} pairs: argmin Σ (w·x_j − y_j)² + λ‖w‖². With noise σ and
     * w ~ N(0, I), λ = σ² gives the posterior mean of w. Solved in the smaller of its two equivalent forms,
     * (XᵀX + λI) w = Xᵀy when {@code count ≥ D} and w = Xᵀ (XXᵀ + λI)⁻¹ y otherwise; the second keeps λ = 0 (least
     * squares) well posed for fewer pairs than dimensions and then gives the minimum-norm fit.
     *
     * @throws ArithmeticException if the system is singular (λ = 0 and the inputs are linearly dependent)
     */
    public static double[] ridgeWeights(double[][] x, double[] y, int count, double lambda) {
        if (!(lambda >= 0)) throw new IllegalArgumentException("lambda must be >= 0; got " + lambda);
        int dim = x[0].length;
        double[] w = new double[dim];
        if (count == 0) return w;
        if (count >= dim) {
            double[][] gram = new double[dim][dim];
            double[] rhs = new double[dim];
            for (int j = 0; j < count; j++) {
                for (int a = 0; a < dim; a++) {
                    rhs[a] += x[j][a] * y[j];
                    for (int b = 0; b <= a; b++) gram[a][b] += x[j][a] * x[j][b];
                }
            }
            for (int a = 0; a < dim; a++) gram[a][a] += lambda;
            return solveSymmetricPositive(gram, rhs);
        }
        double[][] kernel = new double[count][count];
        for (int j = 0; j < count; j++) {
            for (int k = 0; k <= j; k++) kernel[j][k] = dot(x[j], x[k], dim);
            kernel[j][j] += lambda;
        }
        double[] alpha = solveSymmetricPositive(kernel, Arrays.copyOf(y, count));
        for (int j = 0; j < count; j++) {
            for (int a = 0; a < dim; a++) w[a] += alpha[j] * x[j][a];
        }
        return w;
    }

    /**
     * {@code steps} steps of gradient descent from w = 0 on L(w) = ½ Σ_{j < count} (w·x_j − y_j)², each
     * w ← w − η Σ_j (w·x_j − y_j) x_j. The loss is a sum, not a mean, because that is what one layer of linear
     * self-attention computes: one step predicts η Σ_j y_j (x_j·x_q), von Oswald et al.'s construction. It converges
     * (to the minimum-norm least-squares fit, since it starts at 0) when η &lt; 2 / λ_max(XᵀX).
     */
    public static double[] gradientDescentWeights(double[][] x, double[] y, int count, int steps, double learningRate) {
        int dim = x[0].length;
        double[] w = new double[dim];
        double[] gradient = new double[dim];
        for (int s = 0; s < steps; s++) {
            Arrays.fill(gradient, 0);
            for (int j = 0; j < count; j++) {
                double residual = dot(w, x[j], dim) - y[j];
                for (int a = 0; a < dim; a++) gradient[a] += residual * x[j][a];
            }
            for (int a = 0; a < dim; a++) w[a] -= learningRate * gradient[a];
        }
        return w;
    }

    public static Predictor leastSquares() {
        return (s, i) -> dot(leastSquaresWeights(s.x(), s.y(), i), s.x()[i], s.dim());
    }

    public static Predictor ridge(double lambda) {
        return (s, i) -> dot(ridgeWeights(s.x(), s.y(), i, lambda), s.x()[i], s.dim());
    }

    public static Predictor gradientDescent(int steps, double learningRate) {
        return (s, i) -> dot(gradientDescentWeights(s.x(), s.y(), i, steps, learningRate), s.x()[i], s.dim());
    }

    /**
     * The in-context error curve: for each context size i = 0 .. n, the mean over {@code sequences} of
     * (prediction of y_i − y_i)². Works for any predictor, the model's included.
     */
    public static double[] errorCurve(List<IclRegressionTask.Sequence> sequences, Predictor predictor) {
        if (sequences.isEmpty()) throw new IllegalArgumentException("no sequences");
        int pairs = sequences.getFirst().pairs();
        double[] curve = new double[pairs + 1];
        for (IclRegressionTask.Sequence s : sequences) {
            if (s.pairs() != pairs) throw new IllegalArgumentException("sequences of " + pairs + " and " + s.pairs() + " pairs");
            for (int i = 0; i <= pairs; i++) {
                double error = predictor.predict(s, i) - s.y()[i];
                curve[i] += error * error;
            }
        }
        for (int i = 0; i <= pairs; i++) curve[i] /= sequences.size();
        return curve;
    }

    static double dot(double[] a, double[] b, int length) {
        double sum = 0;
        for (int d = 0; d < length; d++) sum += a[d] * b[d];
        return sum;
    }

    /**
     * Solves A v = b by Cholesky, A = L Lᵀ, reading only the lower triangle of {@code a} (which it overwrites with L).
     */
    private static double[] solveSymmetricPositive(double[][] a, double[] b) {
        int n = b.length;
        for (int j = 0; j < n; j++) {
            double pivot = a[j][j];
            for (int k = 0; k < j; k++) pivot -= a[j][k] * a[j][k];
            if (!(pivot > 0)) throw new ArithmeticException("singular system: the inputs are linearly dependent; use ridge with lambda > 0");
            a[j][j] = Math.sqrt(pivot);
            for (int i = j + 1; i < n; i++) {
                double sum = a[i][j];
                for (int k = 0; k < j; k++) sum -= a[i][k] * a[j][k];
                a[i][j] = sum / a[j][j];
            }
        }
        double[] v = b.clone();
        for (int i = 0; i < n; i++) { // L u = b
            for (int k = 0; k < i; k++) v[i] -= a[i][k] * v[k];
            v[i] /= a[i][i];
        }
        for (int i = n - 1; i >= 0; i--) { // Lᵀ v = u
            for (int k = i + 1; k < n; k++) v[i] -= a[k][i] * v[k];
            v[i] /= a[i][i];
        }
        return v;
    }
}
