package org.mesascope.probes.organisms;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.random.RandomGenerator;
import java.util.random.RandomGenerator.SplittableGenerator;
import java.util.random.RandomGeneratorFactory;
import java.util.stream.IntStream;

/**
 * Trains a {@link TrainableGpt2} on a {@link Task} with libtorch on the CPU: mini-batches drawn fresh from the task,
 * cross-entropy on the target tokens only (prompt positions and padding carry no loss), AdamW with warm-up and cosine
 * decay ({@link TrainingConfig}).
 *
 * <p>Determinism: one seed fixes the initial weights (drawn in Java, so libtorch's global generator is never used:
 * nothing in the model is random after initialisation, there is no dropout), the training examples and the held-out
 * examples, as three independent streams split from one L64X128MixRandom. With the same seed, thread count, machine
 * and libtorch build, the loss curve and the weights are identical bit for bit. Another thread count or CPU may
 * change float rounding inside libtorch's kernels, and so the low bits of the losses.
 */
public final class OrganismTrainer {
    /** Held-out examples behind each accuracy point of the training curve. */
    static final int CURVE_EXAMPLES = 512;

    private OrganismTrainer() {
    }

    /** Told of progress as training runs (on the training thread). */
    public interface Listener {
        /** After optimizer step {@code step} (1-based), with the loss of its mini-batch. */
        void trained(int step, double loss);

        /** After the held-out accuracy was measured at {@code step}. */
        default void evaluated(int step, double accuracy) {
        }
    }

    /**
     * A point of the training curve.
     *
     * @param loss     mean mini-batch loss over the steps since the previous point (nats per target token)
     * @param accuracy exact-match accuracy on {@value #CURVE_EXAMPLES} held-out examples
     */
    public record CurvePoint(int step, double loss, double accuracy) {
    }

    /** A trained model, held in native memory until closed. */
    public static final class Trained implements AutoCloseable {
        private final Task task;
        private final NDManager manager;
        private final TrainableGpt2 model;
        private final List<CurvePoint> curve;
        private final double seconds;

        private Trained(Task task, NDManager manager, TrainableGpt2 model, List<CurvePoint> curve, double seconds) {
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

        /** Logits [T, vocab] of one sequence as the trained model computes them. */
        public float[][] logits(int[] tokens) {
            try (NDScope ignored = new NDScope()) {
                float[] flat = model.logits(tokenArray(manager, new int[][]{tokens}, tokens.length)).toFloatArray();
                int vocab = model.shape().vocab();
                float[][] out = new float[tokens.length][];
                for (int t = 0; t < tokens.length; t++) out[t] = Arrays.copyOfRange(flat, t * vocab, (t + 1) * vocab);
                return out;
            }
        }

        /** Writes the model as a Hugging Face checkpoint folder ({@link Gpt2Export}). */
        public void export(Path dir) {
            Gpt2Export.write(dir, model, task.vocabulary());
        }

        @Override
        public void close() {
            manager.close();
        }
    }

    /** Trains a fresh model; {@code listener} hears of every step and every curve point. */
    public static Trained train(Task task, TrainingConfig config, Listener listener) {
        Engine torch = Engine.getEngine("PyTorch");  // loads libtorch, before any call into it
        // libtorch's thread count is process-wide; set on every run so that no earlier user of the engine changes ours
        JniUtils.setNumThreads(config.threads());
        Streams streams = Streams.of(config.seed());
        Gpt2Shape shape = new Gpt2Shape(config.layers(), config.dModel(), config.heads(), task.contextLength(),
                task.vocabulary().size());

        long start = System.nanoTime();
        NDManager manager = torch.newBaseManager();
        try {
            TrainableGpt2 model = new TrainableGpt2(manager, shape, streams.init());
            AdamW optimizer = new AdamW(model.parameters(), config.weightDecay());
            MiniBatch curveSet = MiniBatch.draw(task, streams.heldOut(), CURVE_EXAMPLES);
            List<CurvePoint> curve = new ArrayList<>();
            double lossSum = 0;
            int lossSteps = 0;
            for (int step = 1; step <= config.steps(); step++) {
                double loss;
                try (NDScope ignored = new NDScope()) {
                    MiniBatch batch = MiniBatch.draw(task, streams.training(), config.batchSize());
                    try (GradientCollector gc = torch.newGradientCollector()) {
                        NDArray l = batch.loss(manager, model);
                        gc.backward(l);
                        loss = l.getFloat();
                    }
                    optimizer.step(config.learningRate(step - 1));
                }
                listener.trained(step, loss);
                lossSum += loss;
                lossSteps++;
                if (step % config.evalEvery() == 0 || step == config.steps()) {
                    double accuracy = curveSet.exactMatch(manager, model);
                    curve.add(new CurvePoint(step, lossSum / lossSteps, accuracy));
                    listener.evaluated(step, accuracy);
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
    private record MiniBatch(int[][] inputs, int[][] labels, float[][] weights, int width) {
        static MiniBatch draw(Task task, RandomGenerator random, int n) {
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
            return new MiniBatch(inputs, labels, weights, width);
        }

        /** Mean cross-entropy −log p(label) over the target positions. */
        NDArray loss(NDManager manager, TrainableGpt2 model) {
            NDArray logProbs = model.logits(tokenArray(manager, inputs, width)).logSoftmax(-1);
            NDArray nll = logProbs.gather(tokenArray(manager, labels, width).expandDims(2), 2).squeeze(2).neg();
            NDArray w = floatArray(manager, weights, width);
            return nll.mul(w).sum().div(w.sum());
        }

        /**
         * The fraction of examples whose every target token is the model's argmax given the true prefix: the same as
         * greedy decoding reproducing the whole target (each greedy step then sees the true prefix), in one pass.
         */
        double exactMatch(NDManager manager, TrainableGpt2 model) {
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
}
