package org.mesascope.probes.linear;

import java.util.SplittableRandom;

/** Fold assignments for k-fold cross-validation: {@code fold[i]} is the held-out fold of row i. */
final class Folds {
    private Folds() {
    }

    /** Rows shuffled with {@code seed}, then dealt round-robin: fold sizes differ by at most one. */
    static int[] kFold(int n, int k, long seed) {
        int[] order = shuffled(n, new SplittableRandom(seed));
        int[] fold = new int[n];
        for (int p = 0; p < n; p++) fold[order[p]] = p % k;
        return fold;
    }

    /**
     * Stratified: each class's rows are shuffled and dealt round-robin, the deal continuing from class to class, so
     * every fold holds each class's rows to within one and fold sizes differ by at most one.
     */
    static int[] stratified(int[] y, int classes, int k, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] order = shuffled(y.length, random);
        int[] fold = new int[y.length];
        int dealt = 0;
        for (int c = 0; c < classes; c++) {
            for (int i : order) if (y[i] == c) fold[i] = dealt++ % k;
        }
        return fold;
    }

    static int[] shuffled(int n, SplittableRandom random) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    /** The rows with {@code fold[i] == f} ({@code held}) or {@code != f}, in order. */
    static int[] indices(int[] fold, int f, boolean held) {
        int count = 0;
        for (int g : fold) if ((g == f) == held) count++;
        int[] idx = new int[count];
        int p = 0;
        for (int i = 0; i < fold.length; i++) if ((fold[i] == f) == held) idx[p++] = i;
        return idx;
    }

    static double[][] x(double[][] x, int[] idx) {
        double[][] out = new double[idx.length][];
        for (int p = 0; p < idx.length; p++) out[p] = x[idx[p]];
        return out;
    }

    static int[] y(int[] y, int[] idx) {
        int[] out = new int[idx.length];
        for (int p = 0; p < idx.length; p++) out[p] = y[idx[p]];
        return out;
    }
}
