package org.mesascope.probes.linear;

import org.mesascope.core.MesascopeException;

import java.util.ArrayList;
import java.util.List;

/**
 * L2-regularized logistic regression, multinomial for K > 2 classes, with an unpenalized intercept, as scikit-learn's
 * {@code LogisticRegression(penalty="l2", C=C, solver="lbfgs")} defines it:
 * <pre>  min_{W,b}  C sum_i -log p(y_i | x_i) + ||W||_F^2 / 2,    smaller C = stronger regularization</pre>
 * (C corresponds to 1/(2 alpha) of {@link RidgeProbe}). For two classes the probe has one output, the logit of class 1
 * against class 0: {@code P(class 1 | x) = sigmoid(w x + b)}. For K > 2 it has K outputs and
 * {@code P(c | x) = softmax(W x + b)_c}; the intercepts are determined only up to a common constant, and because the
 * gradient in b always sums to zero the fit, started at 0, keeps {@code sum_c b_c = 0}. Fitted by {@link Lbfgs} on the
 * objective of {@link LogisticObjective}.
 */
public final class LogisticProbe {
    static final int MAX_ITERATIONS = 1000;
    /** On the largest entry of the gradient of the 1/(nC)-scaled objective. */
    static final double TOLERANCE = 1e-10;

    private LogisticProbe() {
    }

    /** 5 stratified folds; C in 10^-4 .. 10^4, one value per decade (9 values); seed 0. */
    public static CvOptions defaults() {
        return new CvOptions(CvOptions.DEFAULT_FOLDS, CvOptions.logGrid(-4, 4, 9), CvOptions.DEFAULT_SEED);
    }

    /**
     * The outcome of {@link #crossValidate}: the chosen C; the grid and the mean held-out accuracy at each of its values;
     * at the chosen C the held-out accuracy of each fold with their mean and population std, the one-vs-rest AUC of
     * each class and the mean log-loss (nats), both over the pooled out-of-fold predictions; and the probe refitted on
     * all rows at the chosen C, as a readout of the original (unstandardized) inputs.
     */
    public record Result(double c, double[] grid, double[] gridMeanAccuracy, double[] foldAccuracy, double meanAccuracy,
                         double stdAccuracy, double[] auc, double logLoss, Affine model) {
    }

    /** Fits on {@code x} as given (no standardization); labels are {@code 0..classes-1}. */
    public static Affine fit(double[][] x, int[] y, int classes, double c) {
        Checks.matrix("x", x);
        Checks.sameRows("labels", y.length, "x", x.length);
        Checks.labels(y, names(classes), 1);
        if (!(c > 0) || !Double.isFinite(c)) throw new MesascopeException("C must be positive, got " + c);
        return fit(x, y, classes, c, null);
    }

    /** Warm-started from {@code start} (null: from 0). */
    static Affine fit(double[][] x, int[] y, int classes, double c, Affine start) {
        int d = x[0].length, outputs = LogisticObjective.outputs(classes);
        double[] theta = start == null ? new double[outputs * (d + 1)] : LogisticObjective.pack(start);
        theta = Lbfgs.minimize(new LogisticObjective(x, y, classes, c), theta, MAX_ITERATIONS, TOLERANCE);
        return LogisticObjective.unpack(theta, outputs, d);
    }

    /** {@code log P(c | x_i)}, [n][classes]; a one-output model is binary. */
    public static double[][] logProbabilities(Affine model, double[][] x) {
        int classes = model.outputs() == 1 ? 2 : model.outputs();
        double[][] out = new double[x.length][classes];
        for (int i = 0; i < x.length; i++) {
            double[] s = model.apply(x[i]);
            double[] z = out[i];
            for (int r = 0; r < s.length; r++) z[LogisticObjective.classOf(r, classes)] = s[r];
            double lse = LogisticObjective.logSumExp(z);
            for (int k = 0; k < classes; k++) z[k] -= lse;
        }
        return out;
    }

    /**
     * Chooses C by stratified k-fold cross-validation: per fold, the features are standardized on the training rows
     * and the probe is fitted for every C in increasing order, each fit warm-started from the previous one. The best
     * mean held-out accuracy wins, ties going to the smaller C (the simpler probe).
     */
    public static Result crossValidate(double[][] x, int[] y, int classes, CvOptions options) {
        Checks.matrix("x", x);
        Checks.sameRows("labels", y.length, "x", x.length);
        Checks.folds(options.folds(), x.length);
        Checks.labels(y, names(classes), options.folds());
        Checks.grid("C", options.grid());
        int[] fold = Folds.stratified(y, classes, options.folds(), options.seed());
        return crossValidate(x, y, classes, options.grid(), fold, options.folds());
    }

    static Result crossValidate(double[][] x, int[] y, int classes, double[] grid, int[] fold, int folds) {
        Scores scores = scores(x, y, classes, grid, fold, folds);
        int best = 0;
        double[] gridMean = new double[grid.length];
        for (int g = 0; g < grid.length; g++) {
            gridMean[g] = Metrics.mean(scores.accuracy[g]);
            if (gridMean[g] > gridMean[best]) best = g;
        }
        double[][] logP = scores.outOfFold[best];
        double[] auc = new double[classes];
        for (int c = 0; c < classes; c++) {
            double[] score = new double[y.length];
            boolean[] positive = new boolean[y.length];
            for (int i = 0; i < y.length; i++) {
                score[i] = logP[i][c];
                positive[i] = y[i] == c;
            }
            auc[c] = Metrics.auc(score, positive);
        }
        Standardizer s = Standardizer.fit(x);
        Affine model = s.toOriginal(fit(s.apply(x), y, classes, grid[best], null));
        double[] foldAccuracy = scores.accuracy[best];
        return new Result(grid[best], grid.clone(), gridMean, foldAccuracy, gridMean[best], Metrics.std(foldAccuracy),
                auc, Metrics.logLoss(logP, y), model);
    }

    /** Held-out accuracy per grid value and fold, and out-of-fold log-probabilities per grid value. */
    record Scores(double[][] accuracy, double[][][] outOfFold) {
    }

    static Scores scores(double[][] x, int[] y, int classes, double[] grid, int[] fold, int folds) {
        double[][] accuracy = new double[grid.length][folds];
        double[][][] outOfFold = new double[grid.length][y.length][];
        for (int f = 0; f < folds; f++) {
            int[] train = Folds.indices(fold, f, false), test = Folds.indices(fold, f, true);
            Standardizer s = Standardizer.fit(Folds.x(x, train));
            double[][] zTrain = s.apply(Folds.x(x, train)), zTest = s.apply(Folds.x(x, test));
            int[] yTrain = Folds.y(y, train);
            Affine model = null;
            for (int g = 0; g < grid.length; g++) {
                model = fit(zTrain, yTrain, classes, grid[g], model);
                double[][] logP = logProbabilities(model, zTest);
                int correct = 0;
                for (int p = 0; p < test.length; p++) {
                    if (argmax(logP[p]) == y[test[p]]) correct++;
                    outOfFold[g][test[p]] = logP[p];
                }
                accuracy[g][f] = (double) correct / test.length;
            }
        }
        return new Scores(accuracy, outOfFold);
    }

    static int argmax(double[] v) {
        int best = 0;
        for (int k = 1; k < v.length; k++) if (v[k] > v[best]) best = k;
        return best;
    }

    private static List<String> names(int classes) {
        List<String> names = new ArrayList<>(classes);
        for (int c = 0; c < classes; c++) names.add(String.valueOf(c));
        return names;
    }
}
