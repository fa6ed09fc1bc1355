package org.mesascope.organisms;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.annotation.JsonAlias;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.random.RandomGenerator;
import java.util.random.RandomGenerator.SplittableGenerator;
import java.util.random.RandomGeneratorFactory;
import java.util.stream.IntStream;

/**
 * Trains a {@link TrainableGpt2} on an organism's task with libtorch on the CPU, mini-batches drawn fresh from the
 * task, TorchAdamW with warm-up and cosine decay ({@link TrainingConfig}):
 * <ul>
 *   <li>a token {@link Task}: cross-entropy on the target tokens only (prompt positions and padding carry no loss);
 *       the curve's held-out measure is exact-match accuracy;</li>
 *   <li>an {@link IclRegressionTask}: the squared error of the read-out at every x position 2i against y_i
 *       (i = 0 .. n), as Garg et al. 2022 and von Oswald et al. 2023 train, so that one sequence gives n + 1
 *       predictions, each from the pairs before it; the curve's held-out measure is the squared error at the query.</li>
 * </ul>
 *
 * <p>Determinism: one seed fixes the initial weights (drawn in Java, so libtorch's global generator is never used:
 * nothing in the model is random after initialisation, there is no dropout), the training examples and the held-out
 * examples, as three independent streams split from one L64X128MixRandom. With the same seed, thread count, machine
 * and libtorch build, the loss curve and the weights are identical bit for bit. Another thread count or CPU may
 * change float rounding inside libtorch's kernels, and so the low bits of the losses.
 */
public final class OrganismTrainer {
    /** Held-out examples behind each point of the training curve. */
    static final int CURVE_EXAMPLES = 512;

    private OrganismTrainer() {
    }

    /** Told of progress as training runs (on the training thread). */
    public interface Listener {
        /** After optimizer step {@code step} (1-based), with the loss of its mini-batch. */
        void trained(int step, double loss);

        /**
         * After the held-out measure was taken at {@code step}: exact-match accuracy for token tasks, squared error at
         * the query for in-context regression.
         */
        default void evaluated(int step, double heldOut) {
        }
    }

    /**
     * A point of the training curve.
     *
     * @param loss    mean mini-batch loss over the steps since the previous point (token tasks: nats per target token;
     *                in-context regression: squared error per prediction)
     * @param heldOut on {@value #CURVE_EXAMPLES} held-out examples: exact-match accuracy (token tasks), or the mean
     *                squared error of the prediction at the query (in-context regression). Read from "accuracy" too,
     *                the key of cards written before vector organisms existed.
     */
    public record CurvePoint(int step, double loss, @JsonAlias("accuracy") double heldOut) {
    }

    /** A trained model, held in native memory until closed. */
    public static final class Trained implements AutoCloseable {
        private final OrganismTask task;
        private final NDManager manager;
        private final TrainableGpt2 model;
        private final List<CurvePoint> curve;
        private final double seconds;

        private Trained(OrganismTask task, NDManager manager, TrainableGpt2 model, List<CurvePoint> curve, double seconds) {
            this.task = task;
            this.manager = manager;
            this.model = model;
            this.curve = List.copyOf(curve);
            this.seconds = seconds;
        }

        public Gpt2Shape shape() {
            return model.shape();
        }

        public List<CurvePoint> curve() {
            return curve;
        }

        /** Wall-clock seconds of the training loop, evaluations included. */
        public double seconds() {
            return seconds;
        }

        /** Logits [T, vocab] of one sequence as the trained model computes them (token models). */
        public float[][] logits(int[] tokens) {
            try (NDScope ignored = new NDScope()) {
                float[] flat = model.logits(tokenArray(manager, new int[][]{tokens}, tokens.length)).toFloatArray();
                int vocab = model.shape().vocab();
                float[][] out = new float[tokens.length][];
                for (int t = 0; t < tokens.length; t++) out[t] = Arrays.copyOfRange(flat, t * vocab, (t + 1) * vocab);
                return out;
            }
        }

        /**
         * The read-out [T, outputDim] of one sequence of vectors ({@code inputs}: T × inputDim values, position-major)
         * as the trained model computes them (vector models).
         */
        public float[][] predictions(float[] inputs) {
            int in = model.shape().inputDim(), out = model.shape().vocab(), t = inputs.length / in;
            try (NDScope ignored = new NDScope()) {
                float[] flat = model.predictions(floatArray(manager, new float[][]{inputs}, t, in)).toFloatArray();
                float[][] rows = new float[t][];
                for (int i = 0; i < t; i++) rows[i] = Arrays.copyOfRange(flat, i * out, (i + 1) * out);
                return rows;
            }
        }

        /**
         * The gradient of output 0 at {@code position} with respect to the input vector at the same position, by
         * libtorch's autograd (vector models; for tests of sensitivities measured elsewhere).
         */
        public float[] inputGradient(float[] inputs, int position) {
            int in = model.shape().inputDim(), t = inputs.length / in;
            try (NDScope ignored = new NDScope();
                 GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray x = floatArray(manager, new float[][]{inputs}, t, in);
                x.setRequiresGradient(true);
                NDArray out = model.predictions(x).get("0, " + position + ", 0");
                gc.backward(out);
                return Arrays.copyOfRange(x.getGradient().toFloatArray(), position * in, (position + 1) * in);
            }
        }

        /**
         * The training loss of a vector model on {@code sequences}, as a training step computes it: the mean of
         * (prediction − y_i)² over every x position (for tests: the loss must put its weight where the targets are).
         */
        double regressionLoss(List<IclRegressionTask.Sequence> sequences) {
            if (!(task instanceof IclRegressionTask regression)) throw new IllegalStateException("not a vector model");
            try (NDScope ignored = new NDScope()) {
                return RegressionBatch.of(regression, manager, sequences).loss(model).getFloat();
            }
        }

        /** Writes the model as a Hugging Face checkpoint folder ({@link Gpt2Export}). */
        public void export(Path dir) {
            if (task instanceof Task t) Gpt2Export.write(dir, model, t.vocabulary());
            else Gpt2Export.writeVectors(dir, model);
        }

        @Override
        public void close() {
            manager.close();
        }
    }

    /** Trains a fresh model on a token task; {@code listener} hears of every step and every curve point. */
    public static Trained train(Task task, TrainingConfig config, Listener listener) {
        Gpt2Shape shape = new Gpt2Shape(config.layers(), config.dModel(), config.heads(), task.contextLength(),
                task.vocabulary().size());
        return train(task, shape, config, listener, (manager, random, n, step) -> MiniBatch.draw(task, manager, random, n));
    }

    /**
     * Trains a fresh vector-input model on in-context regression: read-in of the task's {@code D + 1}-wide vectors,
     * one output; {@code listener} hears of every step and every curve point.
     */
    public static Trained train(IclRegressionTask task, TrainingConfig config, Listener listener) {
        Gpt2Shape shape = Gpt2Shape.vectors(config.layers(), config.dModel(), config.heads(), task.length(),
                task.width(), 1);
        return train(task, shape, config, listener, (manager, random, n, step) -> RegressionBatch.draw(task, manager, random,
                n, step < 0 ? task.dim() : config.activeDimensions(step, task.dim())));
    }

    /** Either task's examples, packed as the model reads them; {@code step} 0-based, or −1 for the held-out set. */
    @FunctionalInterface
    private interface Data {
        Batch draw(NDManager manager, RandomGenerator random, int n, int step);
    }

    /** A mini-batch: its training loss, and the held-out measure of the curve when it is the curve's set. */
    private interface Batch {
        NDArray loss(TrainableGpt2 model);

        double heldOut(TrainableGpt2 model);
    }

    private static Trained train(OrganismTask task, Gpt2Shape shape, TrainingConfig config, Listener listener, Data data) {
        Engine torch = Engine.getEngine("PyTorch");  // loads libtorch, before any call into it
        // libtorch's thread count is process-wide; set on every run so that no earlier user of the engine changes ours
        JniUtils.setNumThreads(config.threads());
        Streams streams = Streams.of(config.seed());

        long start = System.nanoTime();
        NDManager manager = torch.newBaseManager();
        try {
            TrainableGpt2 model = new TrainableGpt2(manager, shape, streams.init());
            TorchAdamW optimizer = new TorchAdamW(model.parameters(), config.weightDecay());
            Batch curveSet = data.draw(manager, streams.heldOut(), CURVE_EXAMPLES, -1);
            List<CurvePoint> curve = new ArrayList<>();
            double lossSum = 0;
            int lossSteps = 0;
            for (int step = 1; step <= config.steps(); step++) {
                double loss;
                try (NDScope ignored = new NDScope()) {
                    Batch batch = data.draw(manager, streams.training(), config.batchSize(), step - 1);
                    try (GradientCollector gc = torch.newGradientCollector()) {
                        NDArray l = batch.loss(model);
                        gc.backward(l);
                        loss = l.getFloat();
                    }
                    optimizer.step(config.learningRate(step - 1));
                }
                listener.trained(step, loss);
                lossSum += loss;
                lossSteps++;
                if (step % config.evalEvery() == 0 || step == config.steps()) {
                    double heldOut = curveSet.heldOut(model);
                    curve.add(new CurvePoint(step, lossSum / lossSteps, heldOut));
                    listener.evaluated(step, heldOut);
                    lossSum = 0;
                    lossSteps = 0;
                }
            }
            return new Trained(task, manager, model, curve, (System.nanoTime() - start) / 1e9);
        } catch (RuntimeException | Error e) {
            manager.close();
            throw e;
        }
    }

    /**
     * The held-out examples of {@code seed}: the stream training draws its curve points from, and evaluations after
     * export should draw from (independent of the training stream).
     */
    public static RandomGenerator heldOut(long seed) {
        return Streams.of(seed).heldOut();
    }

    /** The independent generators one seed makes, split from one L64X128MixRandom in this order. */
    private record Streams(RandomGenerator init, RandomGenerator training, RandomGenerator heldOut) {
        static Streams of(long seed) {
            SplittableGenerator root = RandomGeneratorFactory.<SplittableGenerator>of("L64X128MixRandom").create(seed);
            return new Streams(root.split(), root.split(), root.split());
        }
    }

    /**
     * Examples packed for next-token prediction: row b is prompt ++ target without its last token, right-padded with
     * token 0; {@code labels} are the next tokens, and {@code weights} mark the positions whose label is a target token.
     */
    private record MiniBatch(NDManager manager, int[][] inputs, int[][] labels, float[][] weights, int width) implements Batch {
        static MiniBatch draw(Task task, NDManager manager, RandomGenerator random, int n) {
            Task.Example[] examples = new Task.Example[n];
            int width = 0;
            for (int b = 0; b < n; b++) {
                examples[b] = task.sample(random);
                width = Math.max(width, examples[b].prompt().length + examples[b].target().length - 1);
            }
            int[][] inputs = new int[n][width], labels = new int[n][width];
            float[][] weights = new float[n][width];
            for (int b = 0; b < n; b++) {
                int[] prompt = examples[b].prompt(), target = examples[b].target();
                int[] seq = IntStream.concat(Arrays.stream(prompt), Arrays.stream(target)).toArray();
                if (seq.length > task.contextLength()) {
                    throw new IllegalStateException(task.name() + " drew an example of " + seq.length
                            + " tokens, longer than its context of " + task.contextLength());
                }
                for (int t = 0; t + 1 < seq.length; t++) {
                    inputs[b][t] = seq[t];
                    labels[b][t] = seq[t + 1];
                    weights[b][t] = t + 1 >= prompt.length ? 1 : 0;
                }
            }
            return new MiniBatch(manager, inputs, labels, weights, width);
        }

        /** Mean cross-entropy −log p(label) over the target positions. */
        @Override
        public NDArray loss(TrainableGpt2 model) {
            NDArray logProbs = model.logits(tokenArray(manager, inputs, width)).logSoftmax(-1);
            NDArray nll = logProbs.gather(tokenArray(manager, labels, width).expandDims(2), 2).squeeze(2).neg();
            NDArray w = floatArray(manager, weights, width);
            return nll.mul(w).sum().div(w.sum());
        }

        /**
         * The fraction of examples whose every target token is the model's argmax given the true prefix: the same as
         * greedy decoding reproducing the whole target (each greedy step then sees the true prefix), in one pass.
         */
        @Override
        public double heldOut(TrainableGpt2 model) {
            long[] predicted;
            try (NDScope ignored = new NDScope()) {
                predicted = model.logits(tokenArray(manager, inputs, width)).argMax(-1).toLongArray();
            }
            int correct = 0;
            for (int b = 0; b < inputs.length; b++) {
                boolean all = true;
                for (int t = 0; t < width && all; t++) all = weights[b][t] == 0 || predicted[b * width + t] == labels[b][t];
                if (all) correct++;
            }
            return (double) correct / inputs.length;
        }
    }

    /**
     * In-context regression sequences packed for the read-out: {@code inputs} [B, T, D + 1] as
     * {@link IclRegressionTask.Sequence#inputs()} lays them out; {@code targets} [B, T] hold y_i at x position 2i, and
     * {@code weights} [B, T] are 1 there and 0 at the y positions, which carry no loss. Every sequence has the same
     * length, so there is no padding.
     */
    private record RegressionBatch(NDManager manager, float[][] inputs, float[][] targets, float[][] weights, int length,
                                   int width) implements Batch {
        static RegressionBatch draw(IclRegressionTask task, NDManager manager, RandomGenerator random, int n,
                                    int activeDims) {
            List<IclRegressionTask.Sequence> sequences = new ArrayList<>(n);
            for (int b = 0; b < n; b++) sequences.add(task.sample(random, activeDims));
            return of(task, manager, sequences);
        }

        static RegressionBatch of(IclRegressionTask task, NDManager manager, List<IclRegressionTask.Sequence> sequences) {
            int length = task.length(), n = sequences.size();
            float[][] inputs = new float[n][], targets = new float[n][length], weights = new float[n][length];
            for (int b = 0; b < n; b++) {
                IclRegressionTask.Sequence s = sequences.get(b);
                inputs[b] = s.inputs();
                float[] y = s.targets();
                for (int i = 0; i < y.length; i++) {
                    int t = IclRegressionTask.Sequence.xPosition(i);
                    targets[b][t] = y[i];
                    weights[b][t] = 1;
                }
            }
            return new RegressionBatch(manager, inputs, targets, weights, length, task.width());
        }

        /** Mean of (prediction − y_i)² over the x positions of every sequence. */
        @Override
        public NDArray loss(TrainableGpt2 model) {
            NDArray predicted = model.predictions(floatArray(manager, inputs, length, width)).squeeze(2);
            NDArray error = predicted.sub(floatArray(manager, targets, length));
            NDArray w = floatArray(manager, weights, length);
            return error.square().mul(w).sum().div(w.sum());
        }

        /** Mean of (prediction − y_q)² at the query, the last position, in double. */
        @Override
        public double heldOut(TrainableGpt2 model) {
            float[] predicted;
            try (NDScope ignored = new NDScope()) {
                predicted = model.predictions(floatArray(manager, inputs, length, width)).squeeze(2).toFloatArray();
            }
            double sum = 0;
            for (int b = 0; b < inputs.length; b++) {
                double error = (double) predicted[b * length + length - 1] - targets[b][length - 1];
                sum += error * error;
            }
            return sum / inputs.length;
        }
    }

    private static NDArray tokenArray(NDManager manager, int[][] rows, int width) {
        long[] flat = new long[rows.length * width];
        for (int b = 0; b < rows.length; b++) for (int t = 0; t < width; t++) flat[b * width + t] = rows[b][t];
        return manager.create(flat, new Shape(rows.length, width));
    }

    private static NDArray floatArray(NDManager manager, float[][] rows, int width) {
        float[] flat = new float[rows.length * width];
        for (int b = 0; b < rows.length; b++) System.arraycopy(rows[b], 0, flat, b * width, width);
        return manager.create(flat, new Shape(rows.length, width));
    }

    /**
     * Rows of {@code length × width} values as [B, length, width], copied into memory libtorch allocated: these go
     * into a matrix product, whose rounding may depend on the address alignment of a Java-staged buffer (see
     * {@code TrainableGpt2.parameter}), and training must repeat bit for bit.
     */
    private static NDArray floatArray(NDManager manager, float[][] rows, int length, int width) {
        int n = length * width;
        float[] flat = new float[rows.length * n];
        for (int b = 0; b < rows.length; b++) System.arraycopy(rows[b], 0, flat, b * n, n);
        try (NDArray staged = manager.create(flat, new Shape(rows.length, length, width))) {
            return staged.duplicate();
        }
    }
}
