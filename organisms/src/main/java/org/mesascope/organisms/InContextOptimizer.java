package org.mesascope.organisms;

import org.mesascope.probes.scan.Bootstrap;
import org.mesascope.probes.scan.Finding;
import org.mesascope.probes.scan.Heuristic;
import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.model.LanguageModel;
import org.mesascope.core.model.ModelConfig;
import org.mesascope.core.tensor.Tensor;
import org.mesascope.probes.lens.LensRunner;
import org.mesascope.organisms.IclBaselines;
import org.mesascope.organisms.IclEvaluation;
import org.mesascope.organisms.IclRegressionTask;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.BiFunction;

/**
 * Learned optimizer in context (von Oswald et al. 2023, "Transformers learn in-context by gradient descent"): does a
 * model that reads in-context regression sequences (docs/formats.md) predict the query the way a learning algorithm
 * run on its context would? On sequences with a fresh w each, the model is compared with least squares and with k
 * steps of gradient descent from w = 0 (k = 1 .. L, each with the learning rate that fits best on other sequences):
 * <ul>
 *   <li>prediction agreement: the mean squared difference of the predictions of y_q, also as a fraction of the
 *       reference's mean squared prediction, and at every context size;</li>
 *   <li>sensitivity: the cosine between the model's input gradient ∂ŷ_q/∂x_q and the reference's. Every reference is
 *       linear in x_q, so its gradient is the weight vector it fitted; the model's is taken by central differences
 *       through the engine ({@value #STEP} on each coordinate), exact up to O(h²) curvature and float rounding.</li>
 * </ul>
 * Score: the mean cosine with the closest reference (highest mean cosine). A model that runs an optimizer on its
 * context follows the context's w; a model that answers from memory (the control twin, trained on one fixed w) has
 * the same gradient whatever the context, and its cosine with fresh w averages about 0. Per-row evidence: the same
 * cosine for the lens prediction of each row (the final norm and read-out applied to the residual at the query),
 * showing at which depth the context's w appears.
 */
public final class InContextOptimizer implements Heuristic {
    /** Central-difference half-step on x_q (inputs are N(0, 1)). */
    static final double STEP = 1e-2;
    /** Sequences per forward pass, each with its 2D perturbed copies. */
    private static final int CHUNK = 32;
    /** At most this many gradient-descent references (k = 1 .. min(L, this)). */
    private static final int MAX_GD_STEPS = 4;

    private final IclRegressionTask task;
    private final int examples;

    /** @param task the sequences' layout and distribution (its own w, for a control task, is not used: w is fresh) */
    public InContextOptimizer(IclRegressionTask task, int examples) {
        this.task = new IclRegressionTask(task.dim(), task.pairs(), task.noise());
        this.examples = examples;
    }

    @Override
    public String name() {
        return "learned-optimizer";
    }

    @Override
    public String scoreMeaning() {
        return "mean cosine, on contexts with a fresh w, between the model's sensitivity to the query (∂ŷ/∂x_q) and"
                + " that of the closest learner run on the same context (least squares, or k steps of gradient"
                + " descent); 1: the same, about 0: it ignores what the context says about w";
    }

    /** The model's predictions and input gradients at the query, at every lens row (row L: the model's output). */
    record Sensitivities(double[][] prediction, double[][][] gradient, double[][] predictionsByContext) {
    }

    @Override
    public Finding run(String modelName, LanguageModel model, long seed) {
        checkApplies(model);
        SplittableRandom random = new SplittableRandom(seed);
        List<IclRegressionTask.Sequence> sequences = draw(random), tuning = draw(random);
        Sensitivities s = sensitivities(model, sequences);
        int rows = s.prediction.length, last = rows - 1, n = task.pairs(), dim = task.dim();

        // references, each as (sequence, pairs used) -> fitted weights: least squares, then k steps of gradient
        // descent for k = 1 .. min(L, MAX_GD_STEPS)
        Map<String, BiFunction<IclRegressionTask.Sequence, Integer, double[]>> references = new LinkedHashMap<>();
        Map<String, Double> learningRates = new LinkedHashMap<>();
        references.put("least_squares", (q, count) -> IclBaselines.leastSquaresWeights(q.x(), q.y(), count));
        for (int k = 1; k <= Math.min(rows - 1, MAX_GD_STEPS); k++) {
            int steps = k;
            double eta = IclEvaluation.bestLearningRate(tuning, k);
            learningRates.put("gd_" + k, eta);
            references.put("gd_" + k, (q, count) -> IclBaselines.gradientDescentWeights(q.x(), q.y(), count, steps, eta));
        }

        // how far apart the references themselves are: with more pairs than dimensions, one gradient step already points
        // close to w, so a model can only be told apart from them as much as they differ from one another
        Map<String, Double> cosineWithLeastSquares = new LinkedHashMap<>();
        for (Map.Entry<String, BiFunction<IclRegressionTask.Sequence, Integer, double[]>> e : references.entrySet()) {
            if (e.getKey().equals("least_squares")) continue;
            double c = 0;
            for (IclRegressionTask.Sequence q : sequences) {
                c += cosine(e.getValue().apply(q, n), references.get("least_squares").apply(q, n)) / sequences.size();
            }
            cosineWithLeastSquares.put(e.getKey(), c);
        }
        Map<String, Object> perReference = new LinkedHashMap<>();
        String closest = null;
        double[] closestCosines = null;
        double closestMean = Double.NEGATIVE_INFINITY;
        double[][] closestWeights = null;
        for (Map.Entry<String, BiFunction<IclRegressionTask.Sequence, Integer, double[]>> e : references.entrySet()) {
            double[][] w = new double[sequences.size()][];
            double[] cosines = new double[sequences.size()];
            double squaredDifference = 0, squaredReference = 0;
            for (int i = 0; i < sequences.size(); i++) {
                IclRegressionTask.Sequence q = sequences.get(i);
                w[i] = e.getValue().apply(q, n);
                cosines[i] = cosine(s.gradient[last][i], w[i]);
                double reference = dot(w[i], q.x()[n], dim);
                squaredDifference += sq(s.prediction[last][i] - reference) / sequences.size();
                squaredReference += reference * reference / sequences.size();
            }
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("gradient_cosine", Bootstrap.mean(cosines, seed + 1));
            r.put("prediction_squared_difference", squaredDifference);
            r.put("prediction_relative_difference", squaredDifference / squaredReference);
            if (learningRates.containsKey(e.getKey())) r.put("learning_rate", learningRates.get(e.getKey()));
            perReference.put(e.getKey(), r);
            double mean = mean(cosines);
            if (mean > closestMean) {
                closestMean = mean;
                closest = e.getKey();
                closestCosines = cosines;
                closestWeights = w;
            }
        }

        double[] perRow = new double[rows];
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < sequences.size(); i++) perRow[r] += cosine(s.gradient[r][i], closestWeights[i]) / sequences.size();
        }
        // prediction agreement with the closest reference's algorithm at every context size, and the model's own error
        BiFunction<IclRegressionTask.Sequence, Integer, double[]> closestAlgorithm = references.get(closest);
        double[] byContext = new double[n + 1], modelError = new double[n + 1];
        for (int i = 0; i < sequences.size(); i++) {
            IclRegressionTask.Sequence q = sequences.get(i);
            for (int c = 0; c <= n; c++) {
                double reference = dot(closestAlgorithm.apply(q, c), q.x()[c], dim);
                byContext[c] += sq(s.predictionsByContext[i][c] - reference) / sequences.size();
                modelError[c] += sq(s.predictionsByContext[i][c] - q.y()[c]) / sequences.size();
            }
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("closest", closest);
        details.put("references", perReference);
        details.put("reference_cosine_with_least_squares", cosineWithLeastSquares);
        details.put("prediction_squared_difference_by_context", byContext);
        details.put("model_squared_error_by_context", modelError);
        details.put("finite_difference_step", STEP);
        details.put("examples", sequences.size());
        details.put("tuning_examples", tuning.size());
        return new Finding(name(), modelName, Bootstrap.mean(closestCosines, seed), perRow,
                "mean cosine of the lens prediction's ∂ŷ/∂x_q with " + closest + "'s weights", details);
    }

    private void checkApplies(LanguageModel model) {
        ModelConfig.VectorIo io = model.config().vectors();
        if (io == null) {
            throw new NotApplicable("the model reads tokens; this heuristic needs an in-context regression model that"
                    + " reads vectors (docs/formats.md)");
        }
        if (io.inputDim() != task.width() || io.outputDim() != 1) {
            throw new NotApplicable("the model reads " + io.inputDim() + " values and predicts " + io.outputDim()
                    + "; in-context regression in " + task.dim() + " dimensions needs " + task.width() + " and 1");
        }
        if (model.config().maxPositions() < task.length()) {
            throw new NotApplicable("a context of " + task.length() + " positions is needed, the model has "
                    + model.config().maxPositions());
        }
    }

    private List<IclRegressionTask.Sequence> draw(SplittableRandom random) {
        List<IclRegressionTask.Sequence> out = new ArrayList<>(examples);
        for (int i = 0; i < examples; i++) out.add(task.sample(random));
        return out;
    }

    /**
     * Runs every sequence and its 2D copies with x_q moved by ±{@value #STEP} along each axis; reads the residual at
     * the query at every lens row and the read-out at every x position of the unperturbed sequence.
     */
    Sensitivities sensitivities(LanguageModel model, List<IclRegressionTask.Sequence> sequences) {
        int layers = model.config().nLayers(), d = model.config().dModel(), dim = task.dim(), width = task.width();
        int n = task.pairs(), query = IclRegressionTask.Sequence.xPosition(n), variants = 1 + 2 * dim;
        List<String> rowHooks = LensRunner.rowHooks(layers);
        double[][] prediction = new double[layers + 1][sequences.size()];
        double[][][] gradient = new double[layers + 1][sequences.size()][dim];
        double[][] byContext = new double[sequences.size()][n + 1];
        for (int from = 0; from < sequences.size(); from += CHUNK) {
            int to = Math.min(sequences.size(), from + CHUNK), count = (to - from) * variants;
            float[][] inputs = new float[count][];
            for (int i = from; i < to; i++) {
                float[] base = sequences.get(i).inputs();
                for (int v = 0; v < variants; v++) {
                    float[] copy = base.clone();
                    if (v > 0) copy[query * width + (v - 1) / 2] += (float) ((v % 2 == 1 ? 1 : -1) * STEP);
                    inputs[(i - from) * variants + v] = copy;
                }
            }
            float[][] atQuery = new float[layers + 1][count * d];
            HookRegistry hooks = new HookRegistry();
            for (int r = 0; r <= layers; r++) {
                float[] into = atQuery[r];
                hooks.addSink(rowHooks.get(r), (hook, value, batch) -> {
                    for (int b = 0; b < batch.size(); b++) {
                        System.arraycopy(value.data(), (b * batch.width() + query) * d, into, b * d, d);
                    }
                });
            }
            Tensor logits = model.forward(Batch.ofVectors(width, inputs), hooks);  // [count, T, 1]
            int t = logits.dim(1);
            for (int i = from; i < to; i++) {
                for (int c = 0; c <= n; c++) {
                    byContext[i][c] = logits.data()[(i - from) * variants * t + IclRegressionTask.Sequence.xPosition(c)];
                }
            }
            for (int r = 0; r <= layers; r++) {
                float[] lens = model.unembed(new Tensor(atQuery[r], count, d)).data();  // [count, 1]
                for (int i = from; i < to; i++) {
                    int base = (i - from) * variants;
                    prediction[r][i] = lens[base];
                    // differences in double from float predictions: (p₊ − p₋) / 2h
                    for (int a = 0; a < dim; a++) {
                        float plus = inputs[base + 1 + 2 * a][query * width + a], minus = inputs[base + 2 + 2 * a][query * width + a];
                        gradient[r][i][a] = ((double) lens[base + 1 + 2 * a] - lens[base + 2 + 2 * a]) / ((double) plus - minus);
                    }
                }
            }
        }
        return new Sensitivities(prediction, gradient, byContext);
    }

    static double cosine(double[] a, double[] b) {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += a[i] * b[i];
            aa += a[i] * a[i];
            bb += b[i] * b[i];
        }
        return aa == 0 || bb == 0 ? 0 : ab / Math.sqrt(aa * bb);
    }

    private static double dot(double[] a, double[] b, int length) {
        double s = 0;
        for (int i = 0; i < length; i++) s += a[i] * b[i];
        return s;
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) s += x / v.length;
        return s;
    }

    private static double sq(double x) {
        return x * x;
    }
}
