package org.mesascope.organisms;

import org.mesascope.core.MesascopeException;
import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.model.LanguageModel;
import org.mesascope.core.model.ModelConfig;
import org.mesascope.core.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * Held-out evaluation of an exported in-context regression organism through Mesascope's own engine (the folder as
 * {@code Models.load} reads it, sequences as {@code Batch.ofVectors}), beside the learning algorithms it is compared
 * with ({@link IclBaselines}). Every error is a mean over sequences of (prediction − y_i)², at each context size
 * i = 0 .. n (the pairs seen before the prediction), as {@link IclBaselines#errorCurve} defines it.
 */
public final class IclEvaluation {
    /** Sequences per forward pass: the engine batches them, and 64 × 31 positions keep the activations small. */
    private static final int CHUNK = 64;
    /**
     * Learning rates tried for the gradient-descent baselines: 40 log-spaced values from 10⁻³ to 1. For 15 pairs in
     * 5 dimensions λ_max(XᵀX) is about 40, so the largest useful step is about 0.05; the grid covers it with room.
     */
    static final double[] LEARNING_RATES = logSpaced(1e-3, 1, 40);

    private IclEvaluation() {
    }

    /**
     * One predictor's held-out error at each context size.
     *
     * @param name        a short key: model, least_squares, gd_1, ... (suffixed _fresh_w for a control on fresh w)
     * @param description what it is, for the model card's legend
     * @param error       mean squared error at context sizes i = 0 .. n
     */
    public record ErrorCurve(String name, String description, List<Double> error) {
        public ErrorCurve {
            error = List.copyOf(error);
        }
    }

    /**
     * What a finished organism's card reports.
     *
     * @param heldOut measurement name → mean squared error (see {@link #measure})
     * @param curves  the model's and the baselines' error curves
     * @param samples a few held-out queries with the model's and the baselines' predictions
     */
    public record Results(Map<String, Double> heldOut, List<ErrorCurve> curves, List<String> samples) {
    }

    /**
     * The model's predictions of y_0 .. y_n: the read-out at the x positions 0, 2, .., 2n of each sequence, one forward
     * pass per {@value #CHUNK} sequences (all of one length, so nothing is padded).
     *
     * @throws MesascopeException when the model does not read vectors of the task's width or predicts more than one value
     */
    public static double[][] predictions(LanguageModel model, List<IclRegressionTask.Sequence> sequences) {
        ModelConfig.VectorIo io = model.config().vectors();
        if (sequences.isEmpty()) return new double[0][];
        int width = sequences.getFirst().dim() + 1;
        if (io == null || io.inputDim() != width || io.outputDim() != 1) {
            throw new MesascopeException("an in-context regression model reads vectors of " + width
                    + " values and predicts 1; this one " + (io == null ? "reads tokens" : "reads " + io.inputDim()
                    + " and predicts " + io.outputDim()));
        }
        double[][] out = new double[sequences.size()][];
        HookRegistry none = new HookRegistry();
        for (int from = 0; from < sequences.size(); from += CHUNK) {
            int to = Math.min(sequences.size(), from + CHUNK);
            float[][] inputs = new float[to - from][];
            for (int b = from; b < to; b++) inputs[b - from] = sequences.get(b).inputs();
            Tensor logits = model.forward(Batch.ofVectors(width, inputs), none);  // [B, T, 1]
            int t = logits.dim(1);
            for (int b = from; b < to; b++) {
                IclRegressionTask.Sequence s = sequences.get(b);
                double[] p = new double[s.pairs() + 1];
                for (int i = 0; i <= s.pairs(); i++) p[i] = logits.data()[(b - from) * t + IclRegressionTask.Sequence.xPosition(i)];
                out[b] = p;
            }
        }
        return out;
    }

    /** The model as an {@link IclBaselines.Predictor} over {@code sequences} (predicted once, looked up by identity). */
    public static IclBaselines.Predictor predictor(LanguageModel model, List<IclRegressionTask.Sequence> sequences) {
        double[][] p = predictions(model, sequences);
        Map<IclRegressionTask.Sequence, double[]> bySequence = new IdentityHashMap<>();
        for (int b = 0; b < p.length; b++) bySequence.put(sequences.get(b), p[b]);
        return (s, i) -> {
            double[] row = bySequence.get(s);
            if (row == null) throw new IllegalArgumentException("a sequence the model was not run on");
            return row[i];
        };
    }

    /**
     * The learning rate of {@code steps} steps of gradient descent from w = 0 that gives the least error on
     * {@code tuning}, averaged over context sizes 1 .. n. One rate for every context size, as a fixed set of weights
     * (von Oswald et al.'s linear attention layers) would apply it; rates that diverge count as infinitely bad.
     */
    public static double bestLearningRate(List<IclRegressionTask.Sequence> tuning, int steps) {
        double best = Double.NaN, bestError = Double.POSITIVE_INFINITY;
        for (double eta : LEARNING_RATES) {
            double[] curve = IclBaselines.errorCurve(tuning, IclBaselines.gradientDescent(steps, eta));
            double mean = 0;
            for (int i = 1; i < curve.length; i++) mean += curve[i] / (curve.length - 1);
            if (mean < bestError) {  // NaN (diverged) never compares smaller
                bestError = mean;
                best = eta;
            }
        }
        if (Double.isNaN(best)) throw new IllegalStateException("gradient descent diverged at every learning rate");
        return best;
    }

    /**
     * Measures {@code model}, the exported organism trained on {@code task}, on {@code examples} sequences drawn from
     * {@code heldOut}, in this order: the evaluation set from the task itself; for a control twin, as many again with a
     * fresh w per sequence (the distribution it was not trained on); then a tuning set with fresh w for the
     * gradient-descent learning rates, kept apart from the sequences the errors are measured on.
     * <p>
     * {@code heldOut} keys: {@code query_error}, the model's error at the query (i = n) on its own task, first; then
     * for {@code icl-regression} the baselines' query errors on the same sequences and {@code y_variance}, the mean
     * y_q², which is the error of always predicting 0. A control adds {@code query_error_fresh_w} (the model on fresh
     * w), least squares' on the same sequences, and {@code memorized_w_query_error_fresh_w}, the error of predicting
     * its fixed w·x_q whatever the context.
     *
     * @param gdSteps the step counts of the gradient-descent baselines (1, and e.g. the number of layers)
     */
    public static Results measure(IclRegressionTask task, LanguageModel model, RandomGenerator heldOut, int examples,
                                  int... gdSteps) {
        IclRegressionTask fresh = new IclRegressionTask(task.dim(), task.pairs(), task.noise());
        boolean control = task instanceof IclRegressionControlTask;
        List<IclRegressionTask.Sequence> own = draw(task, heldOut, examples);
        List<IclRegressionTask.Sequence> freshSet = control ? draw(fresh, heldOut, examples) : own;
        List<IclRegressionTask.Sequence> tuning = draw(fresh, heldOut, examples);

        List<ErrorCurve> curves = new ArrayList<>();
        Map<String, Double> results = new LinkedHashMap<>();
        int n = task.pairs();
        IclBaselines.Predictor modelOwn = predictor(model, own);
        double[] ownCurve = IclBaselines.errorCurve(own, modelOwn);
        results.put("query_error", ownCurve[n]);

        IclBaselines.Predictor modelFresh = control ? predictor(model, freshSet) : modelOwn;
        String suffix = control ? "_fresh_w" : "", on = control ? ", on fresh w" : "";
        if (control) {
            curves.add(new ErrorCurve("model_fixed_w", "this model, on its own fixed w", list(ownCurve)));
            double[] c = IclBaselines.errorCurve(freshSet, modelFresh);
            curves.add(new ErrorCurve("model_fresh_w", "this model, on fresh w", list(c)));
            results.put("query_error_fresh_w", c[n]);
        } else {
            curves.add(new ErrorCurve("model", "this model", list(ownCurve)));
        }
        double[] ls = IclBaselines.errorCurve(freshSet, IclBaselines.leastSquares());
        curves.add(new ErrorCurve("least_squares" + suffix, "least squares (minimum-norm below D pairs)" + on, list(ls)));
        results.put("query_error" + suffix + "_least_squares", ls[n]);
        for (int k : Arrays.stream(gdSteps).distinct().toArray()) {
            double eta = bestLearningRate(tuning, k);
            double[] gd = IclBaselines.errorCurve(freshSet, IclBaselines.gradientDescent(k, eta));
            curves.add(new ErrorCurve("gd_" + k + suffix, String.format(Locale.ROOT, "%d step%s of gradient descent"
                    + " from w = 0, learning rate %.4g (tuned on %,d other sequences)%s", k, k == 1 ? "" : "s", eta,
                    tuning.size(), on), list(gd)));
            if (!control) results.put("query_error_gd_" + k, gd[n]);
        }
        IclBaselines.Predictor memorized = null;
        if (control) {
            double[] w = ((IclRegressionControlTask) task).w();
            memorized = (s, i) -> IclBaselines.dot(w, s.x()[i], s.dim());
            double[] c = IclBaselines.errorCurve(freshSet, memorized);
            curves.add(new ErrorCurve("memorized_w" + suffix, "predicting with the fixed w the control was trained on,"
                    + " whatever the context" + on, list(c)));
            results.put("memorized_w_query_error_fresh_w", c[n]);
        }
        double variance = 0;
        for (IclRegressionTask.Sequence s : freshSet) variance += s.y()[n] * s.y()[n] / freshSet.size();
        results.put("y_variance" + suffix, variance);

        List<String> samples = new ArrayList<>();
        IclBaselines.Predictor ols = IclBaselines.leastSquares();
        for (int j = 0; j < Organism.SAMPLES; j++) {
            boolean onFresh = control && j >= Organism.SAMPLES / 2;
            IclRegressionTask.Sequence s = (onFresh ? freshSet : own).get(j);
            IclBaselines.Predictor m = onFresh ? modelFresh : modelOwn;
            samples.add(String.format(Locale.ROOT, "%sw = %s, x_q = %s: y_q = %.3f; model %.3f, least squares %.3f%s",
                    control ? (onFresh ? "fresh " : "fixed ") : "", vector(s.w()), vector(s.x()[n]), s.y()[n],
                    m.predict(s, n), ols.predict(s, n), control ? String.format(Locale.ROOT, ", memorized w %.3f",
                            memorized.predict(s, n)) : ""));
        }
        return new Results(results, List.copyOf(curves), samples);
    }

    private static List<IclRegressionTask.Sequence> draw(IclRegressionTask task, RandomGenerator random, int count) {
        List<IclRegressionTask.Sequence> out = new ArrayList<>(count);
        for (int b = 0; b < count; b++) out.add(task.sample(random));
        return out;
    }

    private static List<Double> list(double[] values) {
        List<Double> out = new ArrayList<>(values.length);
        for (double v : values) out.add(v);
        return List.copyOf(out);
    }

    private static String vector(double[] v) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) sb.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.2f", v[i]));
        return sb.append(']').toString();
    }

    static double[] logSpaced(double from, double to, int count) {
        double[] out = new double[count];
        for (int i = 0; i < count; i++) out[i] = from * Math.pow(to / from, (double) i / (count - 1));
        return out;
    }
}
