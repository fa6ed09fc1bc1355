package org.mesascope.probes.linear;

import org.mesascope.core.MesascopeException;

import java.util.List;

/** Input validation shared by the probes: every failure is a one-line {@link MesascopeException} naming the cause. */
final class Checks {
    private Checks() {
    }

    /** A non-empty matrix of finite values with rows of one length; returns that length. */
    static int matrix(String what, double[][] x) {
        if (x == null || x.length == 0) throw new MesascopeException(what + " has no rows");
        int d = x[0] == null ? 0 : x[0].length;
        if (d == 0) throw new MesascopeException(what + " has rows of width 0");
        for (int i = 0; i < x.length; i++) {
            if (x[i] == null || x[i].length != d) {
                throw new MesascopeException(what + ": row " + i + " has " + (x[i] == null ? 0 : x[i].length)
                        + " values, row 0 has " + d);
            }
            for (int j = 0; j < d; j++) {
                if (!Double.isFinite(x[i][j])) {
                    throw new MesascopeException(what + " holds " + x[i][j] + " at row " + i + ", column " + j);
                }
            }
        }
        return d;
    }

    static void sameRows(String what, int n, String of, int rows) {
        if (n != rows) throw new MesascopeException(n + " " + what + " for " + rows + " rows of " + of);
    }

    /**
     * Class labels in {@code 0..names.size()-1}, at least two classes, and every class with at least {@code folds}
     * rows (stratified k-fold then puts each class in every fold; a class with no rows would drive its intercept to
     * minus infinity). Returns the number of classes.
     */
    static int labels(int[] y, List<String> names, int folds) {
        int k = names.size();
        int[] count = new int[k];
        for (int i = 0; i < y.length; i++) {
            if (y[i] < 0 || y[i] >= k) {
                throw new MesascopeException("label " + y[i] + " at row " + i + " is outside 0.." + (k - 1)
                        + " (" + k + " label names)");
            }
            count[y[i]]++;
        }
        int present = 0, last = 0;
        for (int c = 0; c < k; c++) {
            if (count[c] > 0) {
                present++;
                last = c;
            }
        }
        if (present < 2) {
            throw new MesascopeException("labels have one class ('" + names.get(last) + "'); a probe needs two or more");
        }
        for (int c = 0; c < k; c++) {
            if (count[c] == 0) throw new MesascopeException("label '" + names.get(c) + "' has no rows");
            if (count[c] < folds) {
                throw new MesascopeException("label '" + names.get(c) + "' has " + count[c] + " rows, fewer than the "
                        + folds + " folds");
            }
        }
        return k;
    }

    static void folds(int folds, int rows) {
        if (folds < 2 || folds > rows) {
            throw new MesascopeException("folds must be between 2 and the number of rows (" + rows + "), got " + folds);
        }
    }

    /** A regularization grid: non-empty, positive, finite, strictly increasing. */
    static void grid(String name, double[] grid) {
        if (grid == null || grid.length == 0) throw new MesascopeException("the " + name + " grid is empty");
        for (int i = 0; i < grid.length; i++) {
            if (!(grid[i] > 0) || !Double.isFinite(grid[i]) || (i > 0 && grid[i] <= grid[i - 1])) {
                throw new MesascopeException("the " + name + " grid must be positive, finite and increasing; entry " + i
                        + " is " + grid[i]);
            }
        }
    }
}
