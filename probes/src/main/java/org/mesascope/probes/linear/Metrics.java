package org.mesascope.probes.linear;

import java.util.Arrays;
import java.util.Comparator;

/** Scores of held-out predictions, with scikit-learn's definitions. */
public final class Metrics {
    private Metrics() {
    }

    /** Area under the ROC curve: the Mann-Whitney statistic {@code (R+ - n+(n+ + 1)/2) / (n+ n-)}, tied scores ranked by their average rank. */
    public static double auc(double[] score, boolean[] positive) {
        int n = score.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingDouble(i -> score[i]));
        double rankSum = 0;
        long pos = 0;
        for (int start = 0; start < n; ) {
            int end = start;
            while (end + 1 < n && score[order[end + 1]] == score[order[start]]) end++;
            double rank = (start + end) / 2.0 + 1; // 1-based average rank of the tie group
            for (int p = start; p <= end; p++) {
                if (positive[order[p]]) {
                    rankSum += rank;
                    pos++;
                }
            }
            start = end + 1;
        }
        long neg = n - pos;
        if (pos == 0 || neg == 0) throw new IllegalArgumentException("AUC needs positive and negative rows");
        return (rankSum - pos * (pos + 1) / 2.0) / ((double) pos * neg);
    }

    /** Mean negative log-likelihood of the true classes, {@code -(1/n) sum_i log p(y_i | x_i)} (nats). */
    public static double logLoss(double[][] logProbability, int[] y) {
        double s = 0;
        for (int i = 0; i < y.length; i++) s -= logProbability[i][y[i]];
        return s / y.length;
    }

    /**
     * Coefficient of determination {@code 1 - SS_res / SS_tot} per output, averaged uniformly over outputs; an
     * output that is constant on these rows scores 1 if predicted exactly, else 0 (scikit-learn's r2_score).
     */
    public static double r2(double[][] predicted, double[][] y) {
        int m = y[0].length;
        double total = 0;
        for (int c = 0; c < m; c++) {
            double mean = 0;
            for (double[] row : y) mean += row[c];
            mean /= y.length;
            double res = 0, tot = 0;
            for (int i = 0; i < y.length; i++) {
                double e = y[i][c] - predicted[i][c], t = y[i][c] - mean;
                res += e * e;
                tot += t * t;
            }
            total += tot > 0 ? 1 - res / tot : (res == 0 ? 1 : 0);
        }
        return total / m;
    }

    static double mean(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return s / v.length;
    }

    /** Population standard deviation (ddof 0), as scikit-learn reports the spread of cross-validation scores. */
    static double std(double[] v) {
        double m = mean(v), s = 0;
        for (double x : v) s += (x - m) * (x - m);
        return Math.sqrt(s / v.length);
    }
}
