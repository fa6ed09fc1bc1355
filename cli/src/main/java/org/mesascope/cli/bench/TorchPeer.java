package org.mesascope.cli.bench;

import org.mesascope.core.hooks.HookPoint;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.pytorch.jni.JniUtils;
import org.mesascope.core.MesascopeException;
import org.mesascope.core.io.DType;
import org.mesascope.core.io.WeightTensor;
import org.mesascope.core.io.Weights;
import org.mesascope.core.model.Gpt2;
import org.mesascope.core.model.Llama;
import org.mesascope.core.model.ModelConfig;
import org.mesascope.core.model.ModelWeights;

import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The benchmark's peer: the forward pass of a GPT-2 or Llama checkpoint written with libtorch (DJL's PyTorch engine,
 * float32), the way a PyTorch user runs it with Hugging Face transformers' eager modules or TransformerLens: torch's
 * fused layer_norm, linear (addmm) and embedding, the activations and RMSNorm as the same elementwise ops HF writes
 * (gelu_new's tanh formula, x·sigmoid(x), x/√(mean x² + ε)), attention as matmul, causal mask, softmax, matmul.
 * Grouped-query attention multiplies each key/value head with its group of query heads in one batched matmul rather
 * than copying the key/value heads (HF's repeat_kv), which is the faster of the two.
 *
 * <p>At every hook point a sink subscribed to, the tensor is copied out of libtorch into a new Java float array: the
 * price a Java program (or a TransformerLens user moving activations off the device) pays to see an activation.
 * Intermediate tensors are freed layer by layer, as Python's reference counting would free them.
 *
 * <p>Weights are read from the same memory-mapped safetensors Mesascope reads and copied into libtorch's memory.
 * Supported: what {@code bench forward} generates (GPT-2 with tied embeddings; Llama without biases, rope scaling or
 * sliding window); anything else fails with a one-line cause.
 */
public final class TorchPeer implements AutoCloseable {
    /** Receives one hook's values, [B, T, ...] row-major, in an array the sink may keep. */
    @FunctionalInterface
    public interface Sink {
        void accept(String hook, float[] values);
    }

    private record Gpt2Block(NDArray ln1W, NDArray ln1B, NDArray qkvW, NDArray qkvB, NDArray outW, NDArray outB,
                             NDArray ln2W, NDArray ln2B, NDArray fcW, NDArray fcB, NDArray projW, NDArray projB) {
    }

    private record LlamaBlock(NDArray attnNorm, NDArray q, NDArray k, NDArray v, NDArray o, NDArray mlpNorm,
                              NDArray gate, NDArray up, NDArray down) {
    }

    private final ModelConfig c;
    private final NDManager manager;
    private final NDArray embed, positions, finalNormW, finalNormB, unembed;
    private final Gpt2Block[] gpt2;
    private final LlamaBlock[] llama;
    /** Scalars as tensors, made once (DJL turns a Java number into a new tensor on every call). */
    private final NDArray half, geluCubic, geluScale, eps;
    private final NDArray[] attentionScale;
    /** Causal masks and rotary tables by sequence length, made on first use. */
    private final Map<Integer, NDArray> masks = new HashMap<>();
    private final Map<Integer, NDArray[]> rotary = new HashMap<>();

    private TorchPeer(ModelConfig c, Weights w, NDManager manager) {
        this.c = c;
        this.manager = manager;
        int d = c.dModel(), vocab = c.vocabSize(), layers = c.nLayers();
        ModelWeights mw = ModelWeights.bind(c, w);
        embed = create(mw.tokenEmbedding());
        if (c.recipe().equals(Gpt2.RECIPE)) {
            positions = create(mw.positionEmbedding());
            gpt2 = new Gpt2Block[layers];
            for (int l = 0; l < layers; l++) {
                ModelWeights.Block b = mw.blocks()[l];
                // Conv1D keeps [in, out]; linear() wants [out, in], and transposing the view back is HF's addmm(b, x, W)
                gpt2[l] = new Gpt2Block(create(b.ln1().weight()), create(b.ln1().bias()),
                        create(b.qkv().weight()).transpose(), create(b.qkv().bias()),
                        create(b.out().weight()).transpose(), create(b.out().bias()),
                        create(b.ln2().weight()), create(b.ln2().bias()),
                        create(b.up().weight()).transpose(), create(b.up().bias()),
                        create(b.down().weight()).transpose(), create(b.down().bias()));
            }
            llama = null;
            finalNormB = create(mw.finalNorm().bias());
        } else {
            positions = null;
            gpt2 = null;
            llama = new LlamaBlock[layers];
            for (int l = 0; l < layers; l++) {
                ModelWeights.Block b = mw.blocks()[l];
                llama[l] = new LlamaBlock(create(b.ln1().weight()), create(b.q().weight()), create(b.k().weight()),
                        create(b.v().weight()), create(b.out().weight()), create(b.ln2().weight()),
                        create(b.gate().weight()), create(b.up().weight()), create(b.down().weight()));
            }
            finalNormB = null;
        }
        finalNormW = create(mw.finalNorm().weight());
        unembed = c.tieEmbeddings() ? embed : create(mw.unembed().weight());
        half = scalar(0.5);
        geluCubic = scalar(0.044715);
        geluScale = scalar(Math.sqrt(2 / Math.PI));
        eps = scalar(c.normEps());
        attentionScale = new NDArray[layers];
        for (int l = 0; l < layers; l++) {
            attentionScale[l] = scalar(1 / Math.sqrt(c.headDim()) / (c.attnScaleByLayer() ? l + 1 : 1));
        }
    }

    /**
     * The checkpoint in libtorch, which runs on {@code threads} intra-op threads (and as many inter-op threads where
     * libtorch still lets them be set: once per process, before any inter-op work).
     *
     * @throws MesascopeException for a model this peer does not rebuild
     */
    public static TorchPeer load(ModelConfig c, Weights w, int threads) {
        String unsupported = unsupported(c);
        if (unsupported != null) throw new MesascopeException("the libtorch peer does not rebuild this model: " + unsupported);
        Engine torch = Engine.getEngine("PyTorch"); // loads libtorch before any call into it
        // process-wide settings: set on every load so that no earlier user of the engine changes ours
        JniUtils.setNumThreads(threads);
        if (JniUtils.getNumInteropThreads() != threads) {
            try {
                JniUtils.setNumInteropThreads(threads);
            } catch (RuntimeException e) {
                // already fixed in this process; the bench prints the value in effect
            }
        }
        NDManager manager = torch.newBaseManager();
        try {
            return new TorchPeer(c, w, manager);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** What this peer does not rebuild of {@code c}, or null: it has GPT-2's block and the Llama family's. */
    private static String unsupported(ModelConfig c) {
        if (c.recipe().equals(Gpt2.RECIPE)) {
            return c.vectors() != null ? "a GPT-2 that reads vectors"
                    : c.activation() != org.mesascope.core.cpu.Activation.GELU_NEW ? "a GPT-2 with activation " + c.activation()
                    : !c.tieEmbeddings() ? "a GPT-2 with an untied lm_head" : null;
        }
        if (c.recipe().equals(Llama.RECIPE)) {
            return c.qkvBias() || c.outBias() || c.mlpBias() ? "a Llama with biases"
                    : c.ropeScaling() != null ? "rope_scaling"
                    : c.slidingWindow() > 0 ? "a sliding attention window"
                    : c.rotaryDim() != c.headDim() ? "partial rotary embedding"
                    : c.activation() != org.mesascope.core.cpu.Activation.SILU ? "a Llama with activation " + c.activation() : null;
        }
        return "the " + c.family().displayName() + " block";
    }

    /** libtorch's intra-op and inter-op thread counts now in effect (process-wide). */
    public static String threadsInEffect() {
        return JniUtils.getNumThreads() + " intra-op and " + JniUtils.getNumInteropThreads() + " inter-op threads";
    }

    /** The libtorch version DJL loaded, e.g. "2.7.1". */
    public static String version() {
        return Engine.getEngine("PyTorch").getVersion();
    }

    /**
     * One forward pass over equal-length sequences, logits for every position. Every hook {@code wants} accepts is
     * copied to a Java array and given to {@code sink} as it is computed, under Mesascope's hook names and shapes.
     */
    public void forward(int[][] tokens, Predicate<String> wants, Sink sink) {
        int bsz = tokens.length, t = tokens[0].length;
        long[] ids = new long[bsz * t];
        for (int b = 0; b < bsz; b++) {
            if (tokens[b].length != t) throw new IllegalArgumentException("sequences of unequal length");
            for (int i = 0; i < t; i++) ids[b * t + i] = tokens[b][i];
        }
        Hooks hooks = new Hooks(wants, sink);
        NDArray resid;
        try (NDScope ignored = new NDScope()) {
            NDArray idArray = manager.create(ids, new Shape(bsz, t));
            NDArray x = hooks.at(HookPoint.embed(), idArray.getNDArrayInternal().embedding(idArray, embed, SparseFormat.DENSE).singletonOrThrow());
            if (positions != null) {
                NDArray pos = positions.get("0:" + t);
                // TransformerLens and Mesascope give the position embedding per batch element
                if (hooks.wants(HookPoint.posEmbed())) hooks.at(HookPoint.posEmbed(), pos.broadcast(bsz, t, c.dModel()));
                x = x.add(pos);
            }
            resid = keep(x);
        }
        for (int l = 0; l < c.nLayers(); l++) {
            // the layer's temporaries die with its scope, as Python would free them when the block returns
            try (NDScope ignored = new NDScope()) {
                NDArray out = gpt2 != null ? gpt2Block(l, resid, hooks) : llamaBlock(l, resid, hooks);
                resid.close();
                resid = keep(out);
            }
        }
        try (NDScope ignored = new NDScope()) {
            NDArray normed = gpt2 != null
                    ? LayerNorm.layerNorm(resid, new Shape(c.dModel()), finalNormW, finalNormB, (float) c.normEps()).singletonOrThrow()
                    : rmsNorm(resid, finalNormW);
            normed = hooks.at(HookPoint.lnFinal(), normed);
            hooks.at(HookPoint.logits(), Linear.linear(normed, unembed).singletonOrThrow());
        } finally {
            resid.close();
        }
    }

    /**
     * A plain GEMM of the MLP's shape, for the benchmark: x [rows, d_model] (copied into libtorch once) times the first
     * layer's MLP input weight (GPT-2's c_fc [d_model, d_mlp]; Llama's up_proj [d_mlp, d_model], transposed as
     * nn.Linear does), as torch.matmul. Each run allocates its result, as torch does, and frees it.
     */
    public Runnable mlpGemm(float[] x, int rows) {
        NDArray input = keep(manager.create(x, new Shape(rows, c.dModel())));
        // both blocks keep the weight as linear() wants it, [out, in]: its transpose is the [in, out] matrix
        NDArray w = (gpt2 != null ? gpt2[0].fcW : llama[0].up).transpose();
        // libtorch computes the product eagerly; closing it frees the result
        return () -> input.matMul(w).close();
    }

    /** Hook points: names as Mesascope's (TransformerLens's), values copied out only when a sink wants them. */
    private record Hooks(Predicate<String> wants, Sink sink) {
        boolean wants(HookPoint point) {
            return wants.test(point.name());
        }

        NDArray at(HookPoint point, NDArray x) {
            if (wants(point)) sink.accept(point.name(), x.toFloatArray());
            return x;
        }
    }

    private NDArray gpt2Block(int l, NDArray resid, Hooks hooks) {
        Gpt2Block b = gpt2[l];
        int d = c.dModel(), heads = c.nHeads(), hd = c.headDim();
        Shape s = resid.getShape();
        long bsz = s.get(0), t = s.get(1);
        resid = hooks.at(HookPoint.residPre(l), resid);
        NDArray x = LayerNorm.layerNorm(resid, new Shape(d), b.ln1W, b.ln1B, (float) c.normEps()).singletonOrThrow();
        NDList qkv = Linear.linear(x, b.qkvW, b.qkvB).singletonOrThrow().split(3, 2);
        // [B, T, d] → [B, heads, T, d_head]
        NDArray q = qkv.get(0).reshape(bsz, t, heads, hd).transpose(0, 2, 1, 3);
        NDArray k = qkv.get(1).reshape(bsz, t, heads, hd).transpose(0, 2, 1, 3);
        NDArray v = qkv.get(2).reshape(bsz, t, heads, hd).transpose(0, 2, 1, 3);
        NDArray pattern = q.matMul(k.transpose(0, 1, 3, 2)).mul(attentionScale[l]).add(mask((int) t)).softmax(-1);
        pattern = hooks.at(HookPoint.pattern(l), pattern);
        NDArray z = hooks.at(HookPoint.z(l), pattern.matMul(v).transpose(0, 2, 1, 3)); // [B, T, heads, d_head]
        NDArray attnOut = hooks.at(HookPoint.attnOut(l), Linear.linear(z.reshape(bsz, t, d), b.outW, b.outB).singletonOrThrow());
        NDArray mid = hooks.at(HookPoint.residMid(l), resid.add(attnOut));
        x = LayerNorm.layerNorm(mid, new Shape(d), b.ln2W, b.ln2B, (float) c.normEps()).singletonOrThrow();
        NDArray h = Linear.linear(x, b.fcW, b.fcB).singletonOrThrow();
        // gelu_new, as HF's NewGELUActivation writes it: ½x(1 + tanh(√(2/π)(x + 0.044715x³)))
        h = h.mul(h.add(h.mul(h).mul(h).mul(geluCubic)).mul(geluScale).tanh().add(1)).mul(half);
        NDArray mlpOut = hooks.at(HookPoint.mlpOut(l), Linear.linear(h, b.projW, b.projB).singletonOrThrow());
        return hooks.at(HookPoint.residPost(l), mid.add(mlpOut));
    }

    private NDArray llamaBlock(int l, NDArray resid, Hooks hooks) {
        LlamaBlock b = llama[l];
        int heads = c.nHeads(), kvHeads = c.nKvHeads(), hd = c.headDim(), group = heads / kvHeads;
        Shape s = resid.getShape();
        long bsz = s.get(0), t = s.get(1);
        resid = hooks.at(HookPoint.residPre(l), resid);
        NDArray x = rmsNorm(resid, b.attnNorm);
        NDArray[] table = rotary((int) t);
        NDArray q = rope(Linear.linear(x, b.q).singletonOrThrow().reshape(bsz, t, heads, hd).transpose(0, 2, 1, 3), table);
        NDArray k = rope(Linear.linear(x, b.k).singletonOrThrow().reshape(bsz, t, kvHeads, hd).transpose(0, 2, 1, 3), table);
        NDArray v = Linear.linear(x, b.v).singletonOrThrow().reshape(bsz, t, kvHeads, hd).transpose(0, 2, 1, 3);
        // query head h uses key/value head h / group (HF's repeat_kv): the group's queries stacked as one [group·T, hd]
        NDArray scores = q.reshape(bsz, kvHeads, group * t, hd).matMul(k.transpose(0, 1, 3, 2)).reshape(bsz, heads, t, t);
        NDArray pattern = hooks.at(HookPoint.pattern(l), scores.mul(attentionScale[l]).add(mask((int) t)).softmax(-1));
        NDArray z = pattern.reshape(bsz, kvHeads, group * t, t).matMul(v).reshape(bsz, heads, t, hd).transpose(0, 2, 1, 3);
        z = hooks.at(HookPoint.z(l), z); // [B, T, heads, d_head]
        NDArray attnOut = hooks.at(HookPoint.attnOut(l), Linear.linear(z.reshape(bsz, t, heads * hd), b.o).singletonOrThrow());
        NDArray mid = hooks.at(HookPoint.residMid(l), resid.add(attnOut));
        x = rmsNorm(mid, b.mlpNorm);
        NDArray gate = Linear.linear(x, b.gate).singletonOrThrow();
        NDArray act = gate.mul(Activation.sigmoid(gate)).mul(Linear.linear(x, b.up).singletonOrThrow()); // silu(gate)·up
        NDArray mlpOut = hooks.at(HookPoint.mlpOut(l), Linear.linear(act, b.down).singletonOrThrow());
        return hooks.at(HookPoint.residPost(l), mid.add(mlpOut));
    }

    /** HF's LlamaRMSNorm: x / √(mean(x²) + ε) · w over the last axis. */
    private NDArray rmsNorm(NDArray x, NDArray gain) {
        return x.div(x.square().mean(new int[]{-1}, true).add(eps).sqrt()).mul(gain);
    }

    /** x·cos + rotate_half(x)·sin, rotate_half(x) = (−x₂, x₁) for the halves x₁, x₂ of each head ([B, heads, T, hd]). */
    private static NDArray rope(NDArray x, NDArray[] table) {
        long half = x.getShape().get(3) / 2;
        NDList halves = x.split(new long[]{half}, 3);
        NDArray rotated = NDArrays.concat(new NDList(halves.get(1).neg(), halves.get(0)), 3);
        return x.mul(table[0]).add(rotated.mul(table[1]));
    }

    /** 0 where query i may see key j (j ≤ i), −∞ after it. */
    private NDArray mask(int t) {
        return masks.computeIfAbsent(t, n -> {
            float[] m = new float[n * n];
            for (int i = 0; i < n; i++) Arrays.fill(m, i * n + i + 1, (i + 1) * n, Float.NEGATIVE_INFINITY);
            return keep(manager.create(m, new Shape(n, n)));
        });
    }

    /**
     * cos and sin [T, hd] of position · θ^(−2i/hd), duplicated over both halves as HF's cat(freqs, freqs); angles in
     * double, as Mesascope's Rotary computes them.
     */
    private NDArray[] rotary(int t) {
        return rotary.computeIfAbsent(t, n -> {
            int hd = c.headDim(), half = hd / 2;
            float[] cos = new float[n * hd], sin = new float[n * hd];
            for (int pos = 0; pos < n; pos++) {
                for (int i = 0; i < half; i++) {
                    double a = pos / Math.pow(c.ropeTheta(), 2.0 * i / hd);
                    cos[pos * hd + i] = cos[pos * hd + i + half] = (float) Math.cos(a);
                    sin[pos * hd + i] = sin[pos * hd + i + half] = (float) Math.sin(a);
                }
            }
            return new NDArray[]{keep(manager.create(cos, new Shape(n, hd))), keep(manager.create(sin, new Shape(n, hd)))};
        });
    }

    /**
     * Out of the current scope, for what outlives it: the residual stream (closed by hand once the next layer has
     * read it) and the cached masks and rotary tables (closed with the model).
     */
    private static NDArray keep(NDArray x) {
        NDScope.unregister(x);
        return x;
    }

    /**
     * A weight copied into libtorch's memory. F32 goes straight from the mapped file (wrapped, then cloned); other
     * dtypes through a float array.
     */
    private NDArray create(float[] values) {
        try (NDArray staged = manager.create(values)) {
            return staged.duplicate();
        }
    }

    private NDArray create(WeightTensor w) {
        Shape shape = new Shape(Arrays.stream(w.shape()).asLongStream().toArray());
        NDArray staged = w.dtype() == DType.F32
                ? manager.create(w.segment().asByteBuffer().order(ByteOrder.LITTLE_ENDIAN), shape, DataType.FLOAT32)
                : manager.create(w.toFloatArray(), shape);
        try (staged) {
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
