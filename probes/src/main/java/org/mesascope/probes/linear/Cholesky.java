package org.mesascope.probes.linear;

import org.mesascope.core.MesascopeException;

/** Solves {@code A X = B} for a symmetric positive definite A through {@code A = L L^T} (Golub & Van Loan, Alg. 4.2.1). */
final class Cholesky {
    private Cholesky() {
    }

    /**
     * {@code A^{-1} B}; only the lower triangle of {@code a} is read, and {@code a} is overwritten with L.
     * {@code b} is [rows of A][columns] and is overwritten with the solution, which is returned.
     */
    static double[][] solveInPlace(double[][] a, double[][] b) {
        int n = a.length;
        for (int j = 0; j < n; j++) {
            double[] aj = a[j];
            // l_jj = sqrt(a_jj - sum_{k<j} l_jk^2)
            double diag = aj[j];
            for (int k = 0; k < j; k++) diag -= aj[k] * aj[k];
            if (!(diag > 0)) {
                throw new MesascopeException("the ridge normal equations are not positive definite (pivot " + j
                        + "); use a larger alpha");
            }
            aj[j] = Math.sqrt(diag);
            // l_ij = (a_ij - sum_{k<j} l_ik l_jk) / l_jj for i > j
            for (int i = j + 1; i < n; i++) {
                double[] ai = a[i];
                double s = ai[j];
                for (int k = 0; k < j; k++) s -= ai[k] * aj[k];
                ai[j] = s / aj[j];
            }
        }
        int m = b[0].length;
        // forward: L Z = B
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < i; k++) {
                double l = a[i][k];
                for (int c = 0; c < m; c++) b[i][c] -= l * b[k][c];
            }
            for (int c = 0; c < m; c++) b[i][c] /= a[i][i];
        }
        // backward: L^T X = Z
        for (int i = n - 1; i >= 0; i--) {
            for (int k = i + 1; k < n; k++) {
                double l = a[k][i];
                for (int c = 0; c < m; c++) b[i][c] -= l * b[k][c];
            }
            for (int c = 0; c < m; c++) b[i][c] /= a[i][i];
        }
        return b;
    }
}
