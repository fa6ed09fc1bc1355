package org.mesascope.probes.linear;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Synthetic activations for the probe tests. */
final class Synthetic {
    private Synthetic() {
    }

    static double[][] gaussian(SplittableRandom random, int n, int d) {
        double[][] x = new double[n][d];
        for (double[] row : x) for (int j = 0; j < d; j++) row[j] = random.nextGaussian();
        return x;
    }

    static double[] unit(SplittableRandom random, int d) {
        double[] w = new double[d];
        for (int j = 0; j < d; j++) w[j] = random.nextGaussian();
        double norm = Math.sqrt(Affine.dot(w, w));
        for (int j = 0; j < d; j++) w[j] /= norm;
        return w;
    }

    static double cosine(double[] a, double[] b) {
        return Affine.dot(a, b) / Math.sqrt(Affine.dot(a, a) * Affine.dot(b, b));
    }

    /** 0..k-1 repeated to length n, shuffled: balanced labels unrelated to anything else. */
    static int[] balancedLabels(SplittableRandom random, int n, int k) {
        int[] order = Folds.shuffled(n, random);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) y[order[i]] = i % k;
        return y;
    }

    static double maxAbsDifference(double[] a, double[] b) {
        double m = 0;
        for (int j = 0; j < a.length; j++) m = Math.max(m, Math.abs(a[j] - b[j]));
        return m;
    }

    /** ||a - b|| / ||b||. */
    static double relativeError(double[] a, double[] b) {
        double e = 0, n = 0;
        for (int j = 0; j < a.length; j++) {
            e += (a[j] - b[j]) * (a[j] - b[j]);
            n += b[j] * b[j];
        }
        return Math.sqrt(e / n);
    }

    /** The solution of {@code a x = b} by Gaussian elimination with partial pivoting (a and b are copied). */
    static double[] gaussianElimination(double[][] a, double[] b) {
        int n = b.length;
        double[][] m = new double[n][];
        for (int i = 0; i < n; i++) {
            m[i] = Arrays.copyOf(a[i], n + 1);
            m[i][n] = b[i];
        }
        for (int col = 0; col < n; col++) {
            int pivot = col;
            for (int i = col + 1; i < n; i++) if (Math.abs(m[i][col]) > Math.abs(m[pivot][col])) pivot = i;
            double[] t = m[col];
            m[col] = m[pivot];
            m[pivot] = t;
            for (int i = col + 1; i < n; i++) {
                double f = m[i][col] / m[col][col];
                for (int k = col; k <= n; k++) m[i][k] -= f * m[col][k];
            }
        }
        double[] x = new double[n];
        for (int i = n - 1; i >= 0; i--) {
            double s = m[i][n];
            for (int k = i + 1; k < n; k++) s -= m[i][k] * x[k];
            x[i] = s / m[i][i];
        }
        return x;
    }
}
