package org.mesascope.probes.linear;

/**
 * Limited-memory BFGS for smooth convex objectives (Nocedal & Wright, Numerical Optimization, 2nd ed., Alg. 7.4 and
 * 7.5) with a backtracking Armijo line search (Alg. 3.1, step chosen by safeguarded quadratic interpolation, eq. 3.57).
 * It stops when the largest gradient entry is at most {@code tolerance}, when a step lowers f by no more than
 * {@link #RELATIVE_DECREASE} of |f| (scipy's ftol as scikit-learn sets it: progress is then below rounding), when no
 * step along the search direction lowers f any more, or after {@code maxIterations}.
 */
final class Lbfgs {
    /** A differentiable function: returns f(x) and writes its gradient into {@code gradient}. */
    interface Objective {
        double evaluate(double[] x, double[] gradient);
    }

    /** Correction pairs kept (Nocedal & Wright suggest 3 to 20). */
    static final int MEMORY = 10;
    static final double RELATIVE_DECREASE = 64 * Math.ulp(1.0);
    /** Sufficient decrease constant c1 of the Armijo condition f(x + a d) <= f(x) + c1 a g^T d. */
    private static final double ARMIJO = 1e-4;
    private static final int MAX_BACKTRACKS = 30;

    private Lbfgs() {
    }

    static double[] minimize(Objective f, double[] start, int maxIterations, double tolerance) {
        int n = start.length;
        double[] x = start.clone(), g = new double[n];
        double fx = f.evaluate(x, g);
        double[][] s = new double[MEMORY][], y = new double[MEMORY][];
        double[] rho = new double[MEMORY];
        int stored = 0, newest = -1;
        double[] d = new double[n], xNew = new double[n], gNew = new double[n];
        for (int iteration = 0; iteration < maxIterations; iteration++) {
            double gMax = maxAbs(g);
            if (gMax <= tolerance) break;
            direction(g, s, y, rho, stored, newest, d);
            double slope = dot(g, d);
            if (!(slope < 0)) { // rounding broke the quasi-Newton direction: restart from steepest descent
                stored = 0;
                for (int j = 0; j < n; j++) d[j] = -g[j];
                slope = -dot(g, g);
            }
            // With no curvature pairs the direction is -g, unscaled: a first step of length at most 1.
            double step = stored == 0 ? Math.min(1, 1 / Math.sqrt(-slope)) : 1;
            double fNew;
            for (int tries = 0; ; tries++) {
                for (int j = 0; j < n; j++) xNew[j] = x[j] + step * d[j];
                fNew = f.evaluate(xNew, gNew);
                if (fNew <= fx + ARMIJO * step * slope) break;
                if (tries == MAX_BACKTRACKS) return x; // no representable decrease left along d
                // minimizer of the quadratic through f(x), slope and f(x + step d), kept within [0.1, 0.5] step
                double q = -slope * step * step / (2 * (fNew - fx - slope * step));
                step = Double.isFinite(q) ? Math.min(0.5 * step, Math.max(0.1 * step, q)) : 0.5 * step;
            }
            // curvature pair s = x' - x, y = g' - g; kept only when s^T y > 0, which keeps H positive definite
            double[] sk = new double[n], yk = new double[n];
            for (int j = 0; j < n; j++) {
                sk[j] = xNew[j] - x[j];
                yk[j] = gNew[j] - g[j];
            }
            double sy = dot(sk, yk);
            if (sy > 0) {
                newest = (newest + 1) % MEMORY;
                s[newest] = sk;
                y[newest] = yk;
                rho[newest] = 1 / sy;
                stored = Math.min(stored + 1, MEMORY);
            }
            boolean stalled = fx - fNew <= RELATIVE_DECREASE * Math.max(1, Math.max(Math.abs(fx), Math.abs(fNew)));
            double[] t = x;
            x = xNew;
            xNew = t;
            t = g;
            g = gNew;
            gNew = t;
            fx = fNew;
            if (stalled) break;
        }
        return x;
    }

    /**
     * {@code d = -H g} by the two-loop recursion (Alg. 7.4), with initial Hessian approximation
     * {@code H0 = (s^T y / y^T y) I} from the newest pair (eq. 7.20).
     */
    private static void direction(double[] g, double[][] s, double[][] y, double[] rho, int stored, int newest,
                                  double[] d) {
        int n = g.length;
        double[] q = g.clone(), alpha = new double[MEMORY];
        for (int k = 0; k < stored; k++) {
            int i = Math.floorMod(newest - k, MEMORY);
            alpha[i] = rho[i] * dot(s[i], q);
            for (int j = 0; j < n; j++) q[j] -= alpha[i] * y[i][j];
        }
        double gamma = stored == 0 ? 1 : 1 / (rho[newest] * dot(y[newest], y[newest]));
        for (int j = 0; j < n; j++) q[j] *= gamma;
        for (int k = stored - 1; k >= 0; k--) {
            int i = Math.floorMod(newest - k, MEMORY);
            double beta = rho[i] * dot(y[i], q);
            for (int j = 0; j < n; j++) q[j] += s[i][j] * (alpha[i] - beta);
        }
        for (int j = 0; j < n; j++) d[j] = -q[j];
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int j = 0; j < a.length; j++) s += a[j] * b[j];
        return s;
    }

    private static double maxAbs(double[] v) {
        double m = 0;
        for (double x : v) m = Math.max(m, Math.abs(x));
        return m;
    }
}
