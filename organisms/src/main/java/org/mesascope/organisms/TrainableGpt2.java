package org.mesascope.organisms;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import org.mesascope.core.model.Gpt2;
import org.mesascope.core.model.ModelConfig;
import org.mesascope.core.model.WeightMap;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.BiFunction;
import java.util.random.RandomGenerator;

/**
 * GPT-2 (Radford et al. 2019) in DJL NDArray operations, so that libtorch's autograd can train it. It computes what
 * Hugging Face's GPT2LMHeadModel (and core's {@code Gpt2}) compute: pre-LayerNorm blocks, learned positions, gelu_new,
 * biases everywhere, the unembedding tied to the token embedding; no dropout. Parameters carry HF's names and layouts
 * (Conv1D weights are [in, out]), so exporting a checkpoint is a copy.
 *
 * <pre>
 *   h⁰ = W_E[x] + W_P[0..T)
 *   hˡ' = hˡ + Attn(LN₁(hˡ)),   hˡ⁺¹ = hˡ' + W_out gelu(W_in LN₂(hˡ') + b_in) + b_out
 *   logits = LN_f(h^L) W_Eᵀ
 * </pre>
 *
 * A vector-input shape ({@link Gpt2Shape#readsVectors()}) is the vector GPT-2 of docs/formats.md: the embedding
 * becomes a linear read-in and the unembedding a linear read-out, both in torch.nn.Linear's layout ([out, in]) under
 * the names core reads ({@code mesascope.read_in.weight}, ...):
 * <pre>
 *   h⁰ = x R_inᵀ + b_in + W_P[0..T),   ...,   prediction = LN_f(h^L) R_outᵀ + b_out
 * </pre>
 */
final class TrainableGpt2 {
    /** GPT-2's initialisation: N(0, 0.02²) weights, output projections scaled down by √(2L) (Radford et al. 2019, §2.3). */
    private static final double INIT_STD = 0.02;
    private static final float LN_EPS = 1e-5f;
    private static final int[] LAST = {-1};

    /** x W + b with W stored [in, out], as HF's Conv1D. */
    private record Affine(NDArray w, NDArray b) {
        NDArray apply(NDArray x) {
            return x.matMul(w).add(b);
        }
    }

    /** (x − μ) / √(σ² + ε) · γ + β over the last axis (biased variance, as torch.nn.LayerNorm). */
    private record LayerNorm(NDArray gain, NDArray bias) {
        NDArray apply(NDArray x) {
            NDArray centered = x.sub(x.mean(LAST, true));
            NDArray variance = centered.square().mean(LAST, true);
            return centered.div(variance.add(LN_EPS).sqrt()).mul(gain).add(bias);
        }
    }

    private record Block(LayerNorm ln1, Affine qkv, Affine attnOut, LayerNorm ln2, Affine mlpIn, Affine mlpOut) {
    }

    private final Gpt2Shape shape;
    private final NDManager manager;
    private final Map<String, NDArray> parameters = new LinkedHashMap<>();
    /** The token embedding (token shapes), or null. */
    private final NDArray wte;
    /** The read-in and read-out (vector shapes), or null; weights [out, in] as torch.nn.Linear. */
    private final NDArray readInW, readInB, readOutW, readOutB;
    private final NDArray wpe;
    private final Block[] blocks;
    private final LayerNorm lnF;
    /**
     * Constants that multiply tracked values, as tensors in libtorch's memory. DJL's {@code x.mul(0.5)} wraps the 0.5
     * in a Java buffer it frees at once, while autograd keeps that tensor to compute the gradient later: the backward
     * pass would read freed memory (seen as random NaNs). Additions never read their operand back, so {@code x.add(1)}
     * is safe.
     */
    private final NDArray half, geluCubic, geluScale, attentionScale;

    /**
     * A freshly initialised model whose parameters live in {@code manager} and take gradients. Every weight is drawn
     * from {@code random} in the order of {@link #parameters()}; a token shape draws exactly what it drew before vector
     * shapes existed, so a seed still gives the same token model. The read-in and read-out start as GPT-2's other
     * matrices do, N(0, 0.02²), with zero biases.
     */
    TrainableGpt2(NDManager manager, Gpt2Shape shape, RandomGenerator random) {
        this.shape = shape;
        this.manager = manager;
        double projStd = INIT_STD / Math.sqrt(2.0 * shape.layers());
        // every tensor of core's GPT-2 weight map, in its order (HF's), under its name: drawing in this order gives a
        // seed the same model it gave before the map existed
        Map<WeightMap.Key, NDArray> byPart = new LinkedHashMap<>();
        for (WeightMap.Slot slot : Gpt2.ARCH.weightMap(config(shape), Gpt2.ARCH.bodyPrefix()).slots()) {
            int[] dims = slot.shape();
            NDArray value = switch (slot.part()) {
                case BIAS -> constant(slot.name(), 0, dims[0]);
                case WEIGHT -> switch (slot.role()) {
                    case LN1, LN2, FINAL_NORM -> constant(slot.name(), 1, dims[0]);
                    case OUT, DOWN -> gaussian(slot.name(), random, projStd, dims[0], dims[1]);
                    default -> gaussian(slot.name(), random, INIT_STD, dims[0], dims[1]);
                };
            };
            byPart.put(slot.key(), value);
        }
        BiFunction<WeightMap.Role, Integer, NDArray> weight = (r, l) -> byPart.get(new WeightMap.Key(r, WeightMap.Part.WEIGHT, l));
        BiFunction<WeightMap.Role, Integer, NDArray> bias = (r, l) -> byPart.get(new WeightMap.Key(r, WeightMap.Part.BIAS, l));
        wte = weight.apply(WeightMap.Role.TOKEN_EMBED, -1);
        readInW = weight.apply(WeightMap.Role.READ_IN, -1);
        readInB = bias.apply(WeightMap.Role.READ_IN, -1);
        wpe = weight.apply(WeightMap.Role.POS_EMBED, -1);
        blocks = new Block[shape.layers()];
        for (int l = 0; l < shape.layers(); l++) {
            blocks[l] = new Block(new LayerNorm(weight.apply(WeightMap.Role.LN1, l), bias.apply(WeightMap.Role.LN1, l)),
                    new Affine(weight.apply(WeightMap.Role.QKV, l), bias.apply(WeightMap.Role.QKV, l)),
                    new Affine(weight.apply(WeightMap.Role.OUT, l), bias.apply(WeightMap.Role.OUT, l)),
                    new LayerNorm(weight.apply(WeightMap.Role.LN2, l), bias.apply(WeightMap.Role.LN2, l)),
                    new Affine(weight.apply(WeightMap.Role.UP, l), bias.apply(WeightMap.Role.UP, l)),
                    new Affine(weight.apply(WeightMap.Role.DOWN, l), bias.apply(WeightMap.Role.DOWN, l)));
        }
        lnF = new LayerNorm(weight.apply(WeightMap.Role.FINAL_NORM, -1), bias.apply(WeightMap.Role.FINAL_NORM, -1));
        readOutW = weight.apply(WeightMap.Role.UNEMBED, -1);
        readOutB = bias.apply(WeightMap.Role.UNEMBED, -1);
        half = constant(0.5);
        geluCubic = constant(0.044715);
        geluScale = constant(Math.sqrt(2 / Math.PI));
        attentionScale = constant(1 / Math.sqrt(shape.headDim()));
    }

    Gpt2Shape shape() {
        return shape;
    }

    /**
     * Every parameter under its checkpoint name, in HF's order: GPT2LMHeadModel's for tokens (the tied lm_head is wte,
     * so not listed); for vectors the read-in first, then GPT-2's without wte, then the read-out.
     */
    Map<String, NDArray> parameters() {
        return Collections.unmodifiableMap(parameters);
    }

    /**
     * @param tokens int64 [B, T] with T ≤ the context; sequences may be right-padded (causal attention keeps padding
     *               out of every real position)
     * @return logits [B, T, vocab]
     */
    NDArray logits(NDArray tokens) {
        if (shape.readsVectors()) throw new IllegalStateException("this model reads vectors, not tokens");
        return trunk(wte.get(tokens)).matMul(wte.transpose());
    }

    /**
     * @param vectors float32 [B, T, inputDim] with T ≤ the context
     * @return the read-out [B, T, outputDim] at every position
     */
    NDArray predictions(NDArray vectors) {
        if (!shape.readsVectors()) throw new IllegalStateException("this model reads tokens, not vectors");
        return trunk(vectors.matMul(readInW.transpose()).add(readInB)).matMul(readOutW.transpose()).add(readOutB);
    }

    /** The blocks and the final LayerNorm on embeddings [B, T, d] (positions are added here). */
    private NDArray trunk(NDArray embedded) {
        int t = Math.toIntExact(embedded.getShape().get(1));
        NDArray mask = causalMask(t);
        NDArray h = embedded.add(wpe.get("0:" + t));
        for (Block b : blocks) {
            h = h.add(attention(b, b.ln1.apply(h), mask));
            h = h.add(b.mlpOut.apply(geluNew(b.mlpIn.apply(b.ln2.apply(h)))));
        }
        return lnF.apply(h);
    }

    /** softmax(q kᵀ / √d_head + mask) v per head, heads concatenated, then the output projection. */
    private NDArray attention(Block b, NDArray x, NDArray mask) {
        NDList qkv = b.qkv.apply(x).split(3, 2);
        NDArray q = splitHeads(qkv.get(0)), k = splitHeads(qkv.get(1)), v = splitHeads(qkv.get(2));
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(attentionScale).add(mask);
        return b.attnOut.apply(mergeHeads(scores.softmax(-1).matMul(v)));
    }

    /** [B, T, d] → [B, heads, T, d_head]. */
    private NDArray splitHeads(NDArray x) {
        Shape s = x.getShape();
        return x.reshape(s.get(0), s.get(1), shape.heads(), shape.headDim()).transpose(0, 2, 1, 3);
    }

    /** [B, heads, T, d_head] → [B, T, d]. */
    private NDArray mergeHeads(NDArray z) {
        Shape s = z.getShape();
        return z.transpose(0, 2, 1, 3).reshape(s.get(0), s.get(2), shape.dModel());
    }

    /** 0 where query i may see key j (j ≤ i), −∞ after it: added to the scores, it zeroes those probabilities. */
    private NDArray causalMask(int t) {
        float[] mask = new float[t * t];
        for (int i = 0; i < t; i++) Arrays.fill(mask, i * t + i + 1, (i + 1) * t, Float.NEGATIVE_INFINITY);
        return manager.create(mask, new Shape(t, t));
    }

    /** GPT-2's tanh approximation of GELU: ½x(1 + tanh(√(2/π)(x + 0.044715x³))). */
    private NDArray geluNew(NDArray x) {
        NDArray inner = x.add(x.mul(x).mul(x).mul(geluCubic)).mul(geluScale);
        return x.mul(inner.tanh().add(1)).mul(half);
    }

    /** The checkpoint config this shape is exported with, read back as core reads it. */
    private static ModelConfig config(Gpt2Shape shape) {
        var json = shape.readsVectors() ? Gpt2Export.vectorConfig(shape)
                : Gpt2Export.config(shape, OptionalInt.empty(), OptionalInt.empty());
        return ModelConfig.fromJson(json.toString(), Path.of("config.json"));
    }

    private NDArray gaussian(String name, RandomGenerator random, double std, int rows, int cols) {
        float[] values = new float[rows * cols];
        for (int i = 0; i < values.length; i++) values[i] = (float) (std * random.nextGaussian());
        return parameter(name, values, new Shape(rows, cols));
    }

    private NDArray constant(String name, float value, int n) {
        float[] values = new float[n];
        Arrays.fill(values, value);
        return parameter(name, values, new Shape(n));
    }

    private NDArray constant(double value) {
        try (NDArray staged = manager.create((float) value)) {
            return staged.duplicate();
        }
    }

    /**
     * {@code values} copied into memory libtorch allocated. DJL would otherwise wrap the Java buffer it staged them in,
     * whose address alignment varies from run to run, and the CPU GEMMs' rounding can depend on alignment: training
     * would not repeat bit for bit.
     */
    private NDArray parameter(String name, float[] values, Shape shape) {
        NDArray array;
        try (NDArray staged = manager.create(values, shape)) {
            array = staged.duplicate();
        }
        array.setRequiresGradient(true);
        parameters.put(name, array);
        return array;
    }
}
