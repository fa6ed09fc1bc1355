package org.mesascope.probes.lens.tuned;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

import java.nio.FloatBuffer;

/**
 * The tuned lens's training objective in libtorch, with the model's final norm and unembedding frozen (constants,
 * never trained) and the translators as the only tracked parameters:
 * <pre>
 *   lens_l(h) = W_U · norm(h + A_l h + b_l)                      (no translator on the last row)
 *   loss      = Σ_l  w · Σ_n KL(p_n ‖ q_{l,n}),   p_n = softmax(final logits_n),  q_{l,n} = softmax(lens_l(h_{l,n}))
 * </pre>
 * With w = 1 / (tokens of the step) this is tuned-lens's loss: per layer the mean over tokens of
 * {@code Σ_v p (log p − log q)} at the same position (its default token shift 0 for the KL loss), summed over layers
 * (tuned-lens calls backward once per layer, and the gradients add up). The gradient needs only each row's residuals
 * and the final logits, never a pass back through the model.
 *
 * <p>Memory: tokens are processed {@code chunkTokens} at a time, one layer at a time (as tuned-lens does, "to save
 * VRAM"), so at most a few [chunk, vocab] arrays are alive at once.
 *
 * <p>{@code dtype} is FLOAT32 for training; FLOAT64 serves the gradient check.
 */
final class LensObjective implements AutoCloseable {
    /** A chunk's [tokens, vocab] arrays hold at most this many values (16 MiB in float32). */
    static final int CHUNK_FLOATS = 1 << 22;

    private final NDManager manager;
    private final DataType dtype;
    private final int dModel, vocab, chunkTokens;
    private final boolean rmsNorm;
    /** Constants in libtorch's memory: DJL frees the buffer of a Java scalar operand at once, while autograd may keep it. */
    private final NDArray normWeight, normBias, eps, unembedding, unembedBias;

    LensObjective(FinalHead head, DataType dtype, int chunkTokens) {
        if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT64) throw new IllegalArgumentException("dtype " + dtype);
        if (chunkTokens < 1) throw new IllegalArgumentException("chunkTokens must be positive");
        this.dtype = dtype;
        this.dModel = head.dModel();
        this.vocab = head.vocab();
        this.chunkTokens = chunkTokens;
        this.rmsNorm = head.rmsNorm();
        this.manager = Engine.getEngine("PyTorch").newBaseManager();
        try {
            normWeight = typed(manager.create(head.normWeight()));
            normBias = rmsNorm ? null : typed(manager.create(head.normBias()));
            eps = constant(head.eps());
            unembedding = typed(manager.create(head.unembeddingFloats(), new Shape(vocab, dModel)));
            unembedBias = head.unembedBias() == null ? null : typed(manager.create(head.unembedBias()));
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** The default chunk for a vocabulary: {@link #CHUNK_FLOATS} / vocab tokens, at least 1. */
    static int chunkTokens(int vocab) {
        return Math.max(1, CHUNK_FLOATS / vocab);
    }

    /** Starts accumulating the gradient at {@code translators} (copied into libtorch as tracked leaves). */
    Accumulator start(Translators translators) {
        return new Accumulator(translators);
    }

    /**
     * Lens logits [n, vocab] of row {@code layer} for residuals {@code rows} [n, d], computed the way training
     * computes them (float32 or float64 as built), returned in double.
     */
    double[] logits(Translators translators, int layer, float[] rows, int n) {
        try (NDScope ignored = new NDScope()) {
            NDArray a = typed(manager.create(translators.weights()[layer], new Shape(dModel, dModel)));
            NDArray b = typed(manager.create(translators.biases()[layer]));
            return doubles(logits(translate(input(rows, 0, n, dModel), a, b)));
        }
    }

    private NDArray translate(NDArray h, NDArray a, NDArray b) {
        // h + A h + b, A stored [out, in] as torch.nn.Linear's weight
        return h.add(h.matMul(a.transpose())).add(b);
    }

    /** The frozen final norm, then the unembedding. */
    private NDArray logits(NDArray h) {
        int[] last = {-1};
        NDArray normed;
        if (rmsNorm) {
            // Llama's RMSNorm: h / sqrt(mean(h²) + ε) · w
            normed = h.div(h.square().mean(last, true).add(eps).sqrt()).mul(normWeight);
        } else {
            // LayerNorm: (h − μ) / sqrt(σ² + ε) · w + b, biased variance
            NDArray centered = h.sub(h.mean(last, true));
            normed = centered.div(centered.square().mean(last, true).add(eps).sqrt()).mul(normWeight).add(normBias);
        }
        NDArray logits = normed.matMul(unembedding.transpose());
        return unembedBias == null ? logits : logits.add(unembedBias);
    }

    /** {@code values[from / cols .. ]} as an [n, cols] array of this objective's dtype. */
    private NDArray input(float[] values, int fromRow, int n, int cols) {
        return typed(manager.create(FloatBuffer.wrap(values, fromRow * cols, n * cols), new Shape(n, cols)));
    }

    /** A scalar of this objective's dtype, in libtorch's memory. */
    private NDArray constant(double value) {
        return dtype == DataType.FLOAT64 ? manager.create(value) : manager.create((float) value);
    }

    private NDArray typed(NDArray x) {
        return x.getDataType() == dtype ? x : x.toType(dtype, false);
    }

    private static double[] doubles(NDArray x) {
        if (x.getDataType() == DataType.FLOAT64) return x.toDoubleArray();
        float[] f = x.toFloatArray();
        double[] out = new double[f.length];
        for (int i = 0; i < f.length; i++) out[i] = f[i];
        return out;
    }

    private static double scalar(NDArray x) {
        return x.getDataType() == DataType.FLOAT64 ? x.getDouble() : x.getFloat();
    }

    @Override
    public void close() {
        manager.close();
    }

    /**
     * The gradient of the objective and its value per layer, summed over what {@link Accumulator#add} was given.
     *
     * @param loss per layer Σ w · KL over the tokens added
     */
    record Gradient(double[][] weights, double[][] biases, double[] loss) {
        double total() {
            double s = 0;
            for (double l : loss) s += l;
            return s;
        }
    }

    /** One gradient evaluation: translators as tracked leaves, the gradients adding up over every backward pass. */
    final class Accumulator implements AutoCloseable {
        private final NDManager params = manager.newSubManager();
        private final NDArray[] a, b;
        private final double[] loss;
        private final GradientCollector collector;

        private Accumulator(Translators t) {
            int layers = t.layers();
            a = new NDArray[layers];
            b = new NDArray[layers];
            loss = new double[layers];
            for (int l = 0; l < layers; l++) {
                a[l] = leaf(params.create(t.weights()[l], new Shape(dModel, dModel)));
                b[l] = leaf(params.create(t.biases()[l]));
            }
            collector = Engine.getEngine("PyTorch").newGradientCollector();
        }

        private NDArray leaf(NDArray x) {
            NDArray typed = x.getDataType() == dtype ? x : x.toType(dtype, false);
            typed.setRequiresGradient(true);
            return typed;
        }

        /**
         * Adds {@code weight} · Σ_n KL(final_n ‖ lens_{l,n}) over all layers to the objective.
         *
         * @param rows   per layer l (lens row l &lt; L) the residuals, [n · d]
         * @param finals the model's logits at the same positions, [n · vocab]
         */
        void add(float[][] rows, float[] finals, int n, double weight) {
            if (rows.length != a.length) throw new IllegalArgumentException(rows.length + " rows for " + a.length + " translators");
            for (int t0 = 0; t0 < n; t0 += chunkTokens) {
                int m = Math.min(chunkTokens, n - t0);
                try (NDScope ignored = new NDScope()) {
                    // the target: untracked constants
                    NDArray logP = input(finals, t0, m, vocab).logSoftmax(-1);
                    NDArray weightedP = logP.exp().mul(constant(weight));
                    for (int l = 0; l < a.length; l++) {
                        try (NDScope layerScope = new NDScope()) {
                            NDArray logQ = logits(translate(input(rows[l], t0, m, dModel), a[l], b[l])).logSoftmax(-1);
                            NDArray kl = weightedP.mul(logP.sub(logQ)).sum();
                            collector.backward(kl);
                            loss[l] += scalar(kl);
                        }
                    }
                }
            }
        }

        /** The gradient so far (read once, at the end). */
        Gradient gradient() {
            double[][] gw = new double[a.length][], gb = new double[a.length][];
            for (int l = 0; l < a.length; l++) {
                gw[l] = doubles(a[l].getGradient());
                gb[l] = doubles(b[l].getGradient());
            }
            return new Gradient(gw, gb, loss.clone());
        }

        @Override
        public void close() {
            collector.close();
            params.close();
        }
    }
}
