package org.mesascope.probes.patch;

import org.mesascope.core.hooks.HookPoint;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import org.mesascope.core.MesascopeException;
import org.mesascope.core.io.Weights;
import org.mesascope.core.cpu.Linear;
import org.mesascope.core.model.Gpt2;
import org.mesascope.core.model.ModelConfig;
import org.mesascope.core.model.ModelWeights;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A GPT-2 checkpoint rebuilt in libtorch (DJL's PyTorch engine), for the one thing Mesascope's engine cannot do: a
 * backward pass. It reads the same mapped weights as core's {@code Gpt2} and computes what Hugging Face's
 * GPT2LMHeadModel computes (pre-LayerNorm blocks, learned positions, fused c_attn whose columns are [q | k | v],
 * Conv1D weights [in, out], the configured activation, unembedding tied to wte unless lm_head is stored), in float32,
 * for one sequence.
 *
 * <p>Gradients with respect to activations: at every hook asked for, a zero tensor of the hook's shape that requires
 * a gradient is added to the activation; the gradient that reaches it is the gradient with respect to the activation,
 * and its value changes nothing. Only GPT-2 is rebuilt; other families fail with a one-line cause.
 */
final class TorchGpt2 implements AutoCloseable {
    private record Affine(NDArray w, NDArray b) {
        NDArray apply(NDArray x) {
            return x.matMul(w).add(b);
        }
    }

    private record LayerNorm(NDArray gain, NDArray bias) {
    }

    private record Block(LayerNorm ln1, Affine qkv, Affine attnOut, LayerNorm ln2, Affine fc, Affine proj) {
    }

    /** The values a pass computed at its hooks and the gradients that reached them, as float arrays [T, ...]. */
    record Pass(float[] logits, double metric, Map<String, float[]> activations, Map<String, float[]> gradients) {
    }

    private static final int[] LAST = {-1};

    private final ModelConfig c;
    private final NDManager manager;
    private final NDArray wte, wpe, unembedT;
    private final Block[] blocks;
    private final LayerNorm lnF;
    /**
     * Constants that multiply values autograd tracks, held as tensors. DJL's {@code x.mul(0.5)} wraps the scalar in a
     * buffer it frees at once while autograd keeps the tensor for the backward pass (random NaNs): see TrainableGpt2.
     */
    private final NDArray half, geluCubic, geluScale, invSqrt2;
    private final NDArray[] attentionScale;

    private TorchGpt2(ModelConfig c, Weights w, NDManager manager) {
        this.c = c;
        this.manager = manager;
        int d = c.dModel(), inner = c.dMlp(), vocab = c.vocabSize();
        ModelWeights mw = ModelWeights.bind(c, w);
        wte = create(mw.tokenEmbedding().toFloatArray(), vocab, d);
        wpe = create(mw.positionEmbedding().toFloatArray(), c.maxPositions(), d);
        blocks = new Block[c.nLayers()];
        for (int l = 0; l < c.nLayers(); l++) {
            ModelWeights.Block b = mw.blocks()[l];
            blocks[l] = new Block(layerNorm(b.ln1(), d), affine(b.qkv()), affine(b.out()), layerNorm(b.ln2(), d),
                    affine(b.up()), affine(b.down()));
        }
        lnF = layerNorm(mw.finalNorm(), d);
        NDArray unembed = c.tieEmbeddings() ? wte : create(mw.unembed().weight().toFloatArray(), vocab, d);
        unembedT = unembed.transpose().duplicate();
        half = scalar(0.5);
        geluCubic = scalar(0.044715);
        geluScale = scalar(Math.sqrt(2 / Math.PI));
        invSqrt2 = scalar(1 / Math.sqrt(2));
        attentionScale = new NDArray[c.nLayers()];
        for (int l = 0; l < c.nLayers(); l++) {
            attentionScale[l] = scalar(1 / Math.sqrt(c.headDim()) / (c.attnScaleByLayer() ? l + 1 : 1));
        }
    }

    /**
     * The model of {@code config} and {@code weights} in libtorch.
     * @throws MesascopeException for anything but a token-reading GPT-2
     */
    static TorchGpt2 load(ModelConfig config, Weights weights) {
        requireGpt2Blocks(config);
        if (config.vectors() != null) {
            throw new MesascopeException("attribution patching needs a model that reads and predicts tokens; this one reads vectors");
        }
        NDManager manager = Engine.getEngine("PyTorch").newBaseManager();
        try {
            return new TorchGpt2(config, weights, manager);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * One forward pass over {@code tokens} and, when {@code gradientHooks} is not empty, the backward pass of the metric
     * at the last position to the activations at those hooks.
     *
     * @param keepHooks hooks whose activations to return (for checks against Mesascope's engine)
     */
    Pass run(int[] tokens, Metric metric, int answer, int wrong, Set<String> gradientHooks, Set<String> keepHooks) {
        Engine engine = manager.getEngine();
        // results of operations on the weights belong to the weights' manager: the NDScope frees them with the rest
        try (NDScope ignored = new NDScope(); NDManager scope = manager.newSubManager()) {
            Map<String, NDArray> probes = new LinkedHashMap<>();
            Map<String, NDArray> kept = new LinkedHashMap<>();
            Hooks hooks = (point, x) -> {
                String name = point.name();
                NDArray y = x;
                if (gradientHooks.contains(name)) {
                    NDArray probe = scope.zeros(x.getShape());
                    probe.setRequiresGradient(true);
                    probes.put(name, probe);
                    y = x.add(probe);
                }
                if (keepHooks.contains(name)) kept.put(name, y);
                return y;
            };
            NDArray logits;
            NDArray value;
            if (gradientHooks.isEmpty()) {
                logits = forward(scope, tokens, hooks);
                value = metricOf(logits, metric, answer, wrong, tokens.length);
            } else {
                try (var gc = engine.newGradientCollector()) {
                    logits = forward(scope, tokens, hooks);
                    value = metricOf(logits, metric, answer, wrong, tokens.length);
                    gc.backward(value);
                }
            }
            Map<String, float[]> gradients = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : probes.entrySet()) gradients.put(e.getKey(), e.getValue().getGradient().toFloatArray());
            Map<String, float[]> activations = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : kept.entrySet()) activations.put(e.getKey(), e.getValue().toFloatArray());
            return new Pass(logits.toFloatArray(), value.getFloat(), activations, gradients);
        }
    }

    @FunctionalInterface
    private interface Hooks {
        NDArray at(HookPoint point, NDArray x);
    }

    /** Logits [T, vocab] of one sequence. */
    private NDArray forward(NDManager scope, int[] tokens, Hooks hooks) {
        int t = tokens.length, d = c.dModel(), heads = c.nHeads(), hd = c.headDim();
        if (t > c.maxPositions()) {
            throw new MesascopeException("sequence of " + t + " tokens is longer than the model's context of "
                    + c.maxPositions() + " positions");
        }
        long[] ids = new long[t];
        for (int i = 0; i < t; i++) ids[i] = tokens[i];
        NDArray embed = hooks.at(HookPoint.embed(), wte.get(scope.create(ids)));
        NDArray pos = hooks.at(HookPoint.posEmbed(), wpe.get("0:" + t));
        NDArray mask = causalMask(scope, t);
        NDArray resid = embed.add(pos);
        for (int l = 0; l < blocks.length; l++) {
            Block b = blocks[l];
            resid = hooks.at(HookPoint.residPre(l), resid);
            NDList qkv = b.qkv.apply(layerNorm(b.ln1, resid)).split(3, 1);
            // [T, d] → [heads, T, d_head]
            NDArray q = qkv.get(0).reshape(t, heads, hd).transpose(1, 0, 2);
            NDArray k = qkv.get(1).reshape(t, heads, hd).transpose(1, 0, 2);
            NDArray v = qkv.get(2).reshape(t, heads, hd).transpose(1, 0, 2);
            NDArray pattern = q.matMul(k.transpose(0, 2, 1)).mul(attentionScale[l]).add(mask).softmax(-1);
            pattern = hooks.at(HookPoint.pattern(l), pattern);
            NDArray z = hooks.at(HookPoint.z(l), pattern.matMul(v).transpose(1, 0, 2)); // [T, heads, d_head]
            NDArray attnOut = hooks.at(HookPoint.attnOut(l), b.attnOut.apply(z.reshape(t, d)));
            NDArray mid = hooks.at(HookPoint.residMid(l), resid.add(attnOut));
            NDArray mlpOut = hooks.at(HookPoint.mlpOut(l), b.proj.apply(activate(b.fc.apply(layerNorm(b.ln2, mid)))));
            resid = hooks.at(HookPoint.residPost(l), mid.add(mlpOut));
        }
        NDArray normalized = hooks.at(HookPoint.lnFinal(), layerNorm(lnF, resid));
        return hooks.at(HookPoint.logits(), normalized.matMul(unembedT));
    }

    private static NDArray metricOf(NDArray logits, Metric metric, int answer, int wrong, int t) {
        NDArray last = logits.get(t - 1);
        return switch (metric) {
            case LOGIT_DIFF -> last.get(answer).sub(last.get(wrong));
            case PROB -> last.softmax(0).get(answer);
        };
    }

    /** (x − μ) / √(σ² + ε) · γ + β over the last axis, biased variance (torch.nn.LayerNorm). */
    private NDArray layerNorm(LayerNorm n, NDArray x) {
        NDArray centered = x.sub(x.mean(LAST, true));
        NDArray variance = centered.square().mean(LAST, true);
        return centered.div(variance.add(c.normEps()).sqrt()).mul(n.gain).add(n.bias);
    }

    private NDArray activate(NDArray x) {
        return switch (c.activation()) {
            // ½x(1 + tanh(√(2/π)(x + 0.044715x³)))
            case GELU_NEW -> x.mul(x.add(x.mul(x).mul(x).mul(geluCubic)).mul(geluScale).tanh().add(1)).mul(half);
            // ½x(1 + erf(x/√2))
            case GELU -> x.mul(x.mul(invSqrt2).erf().add(1)).mul(half);
            case RELU -> x.maximum(0);
            case SILU -> throw new MesascopeException("GPT-2 with a silu MLP is not rebuilt in libtorch");
        };
    }

    /** 0 where query i may see key j (j ≤ i), −∞ after it. */
    private static NDArray causalMask(NDManager scope, int t) {
        float[] mask = new float[t * t];
        for (int i = 0; i < t; i++) Arrays.fill(mask, i * t + i + 1, (i + 1) * t, Float.NEGATIVE_INFINITY);
        return scope.create(mask, new Shape(t, t));
    }

    /**
     * Attribution needs this libtorch rebuild, which has GPT-2's block only (LayerNorm, learned positions, fused
     * [q | k | v] stored [in, out], plain MLP, sequential residual).
     */
    static void requireGpt2Blocks(ModelConfig c) {
        if (!c.recipe().equals(Gpt2.RECIPE)) {
            throw new MesascopeException("attribution patching needs a backward pass, which Mesascope has only for GPT-2"
                    + " (rebuilt in libtorch); this model is " + c.modelType() + ": use activation patching instead");
        }
    }

    private LayerNorm layerNorm(ModelWeights.Norm n, int d) {
        return new LayerNorm(create(n.weight(), d), create(n.bias(), d));
    }

    /** A Conv1D layer as GPT-2 stores it: weight [in, out], bias [out]. */
    private Affine affine(Linear l) {
        return new Affine(create(l.weight().toFloatArray(), l.in(), l.out()), create(l.bias(), l.out()));
    }

    /** {@code values} copied into memory libtorch allocated (DJL would otherwise wrap a Java buffer it stages). */
    private NDArray create(float[] values, long... shape) {
        try (NDArray staged = manager.create(values, new Shape(shape))) {
            return staged.duplicate();
        }
    }

    private NDArray scalar(double value) {
        try (NDArray staged = manager.create((float) value)) {
            return staged.duplicate();
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
