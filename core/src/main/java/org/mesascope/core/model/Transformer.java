package org.mesascope.core.model;

import org.mesascope.core.tensor.KvCache;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.cpu.Attention;
import org.mesascope.core.cpu.Ops;
import org.mesascope.core.cpu.Rotary;
import org.mesascope.core.hooks.HookPoint;
import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.hooks.Hooks;
import org.mesascope.core.io.Weights;
import org.mesascope.core.model.BlockRecipe.QkvLayout;
import org.mesascope.core.model.ModelWeights.Block;
import org.mesascope.core.model.ModelWeights.Norm;
import org.mesascope.core.tensor.Tensor;

/**
 * The CPU forward pass of every family: a decoder-only transformer whose blocks do what the config's
 * {@link BlockRecipe} says, over the weights its {@link Architecture} bound. Activations are float32 arrays of
 * [B·T, width] rows (B sequences right-padded to T positions); every {@link HookPoint} is offered to the hooks as a
 * tensor of its documented shape, and the pass continues with what they return.
 */
public final class Transformer implements LanguageModel {
    private final ModelConfig c;
    private final ModelWeights w;
    private final Rotary rotary;   // null for learned positions

    public Transformer(ModelConfig c, Weights weights) {
        this.c = c;
        this.w = ModelWeights.bind(c, weights);
        this.rotary = c.rotary();
    }

    @Override
    public ModelConfig config() {
        return c;
    }

    @Override
    public Tensor forward(Batch batch, HookRegistry registry, KvCache cache) {
        Forward.check(c, batch, cache);
        Hooks hooks = registry.bind(batch);
        int bsz = batch.size(), width = batch.width(), rows = bsz * width, d = c.dModel();

        float[] resid = embed(batch, hooks);
        for (int l = 0; l < c.nLayers(); l++) resid = block(l, batch, resid, hooks, cache);
        if (cache != null) cache.advance(batch);
        float[] normed = new float[rows * d];
        norm(w.finalNorm(), resid, rows, normed);
        normed = hooks.at(HookPoint.lnFinal(), new Tensor(normed, bsz, width, d)).data();
        return hooks.at(HookPoint.logits(), new Tensor(w.unembed().apply(normed, rows), bsz, width, c.vocabSize()));
    }

    /** The residual stream entering block 0: token embeddings (or read-in vectors), plus learned positions. */
    private float[] embed(Batch batch, Hooks hooks) {
        int bsz = batch.size(), width = batch.width(), d = c.dModel();
        float[] tokens = w.readIn() == null ? Forward.lookup(w.tokenEmbedding(), batch, d)
                : w.readIn().apply(Forward.vectors(batch), bsz * width);
        Tensor embed = hooks.at(HookPoint.embed(), new Tensor(tokens, bsz, width, d));
        if (w.positionEmbedding() == null) return embed.data();
        Tensor pos = hooks.at(HookPoint.posEmbed(), new Tensor(Forward.positions(w.positionEmbedding(), batch, d), bsz, width, d));
        return Ops.add(embed.data(), pos.data());
    }

    /** One block: attention, then the MLP, joined to the residual stream as the recipe says. */
    private float[] block(int l, Batch batch, float[] residIn, Hooks hooks, KvCache cache) {
        Block bl = w.blocks()[l];
        int bsz = batch.size(), width = batch.width(), rows = bsz * width, d = c.dModel();
        int heads = c.nHeads(), kvHeads = c.nKvHeads(), hd = c.headDim();
        float[] resid = hooks.at(HookPoint.residPre(l), new Tensor(residIn, bsz, width, d)).data();

        float[] x = new float[rows * d];
        norm(bl.ln1(), resid, rows, x);
        float[][] qkv = project(bl, x, rows);
        float[] q = qkv[0], k = qkv[1], v = qkv[2];
        if (rotary != null) {
            rotary.apply(q, bsz, width, batch.starts(), heads, hd);
            rotary.apply(k, bsz, width, batch.starts(), kvHeads, hd);
        }
        double scale = 1 / Math.sqrt(hd) / (c.attnScaleByLayer() ? l + 1 : 1);
        float[] z = Attention.attend(batch, q, k, v, heads, kvHeads, hd, cache, l, scale, c.windowAt(l), hooks,
                HookPoint.pattern(l));
        z = hooks.at(HookPoint.z(l), new Tensor(z, bsz, width, heads, hd)).data();
        float[] attnOut = hooks.at(HookPoint.attnOut(l), new Tensor(bl.out().apply(z, rows), bsz, width, d)).data();

        float[] mid = null, mlpIn;
        switch (c.recipe().residual()) {
            case SEQUENTIAL -> {
                mid = hooks.at(HookPoint.residMid(l), new Tensor(Ops.add(resid, attnOut), bsz, width, d)).data();
                norm(bl.ln2(), mid, rows, x);
                mlpIn = x;
            }
            case PARALLEL -> {
                norm(bl.ln2(), resid, rows, x);
                mlpIn = x;
            }
            case PARALLEL_SHARED_NORM -> mlpIn = x;   // still ln1(resid): attention only read it
            default -> throw new IllegalStateException();
        }
        float[] mlpOut = hooks.at(HookPoint.mlpOut(l), new Tensor(mlp(bl, mlpIn, rows), bsz, width, d)).data();
        // Hugging Face adds (mlp + attn) + x in the parallel blocks (float addition commutes, so GPT-J's order agrees)
        float[] post = mid != null ? Ops.add(mid, mlpOut) : Ops.add(Ops.add(mlpOut, attnOut), resid);
        return hooks.at(HookPoint.residPost(l), new Tensor(post, bsz, width, d)).data();
    }

    /** q [rows, H·dh], k and v [rows, K·dh], heads contiguous, from the normalized input. */
    private float[][] project(Block bl, float[] x, int rows) {
        QkvLayout layout = c.recipe().qkv();
        if (layout == QkvLayout.SEPARATE) return new float[][]{bl.q().apply(x, rows), bl.k().apply(x, rows), bl.v().apply(x, rows)};
        float[] fused = bl.qkv().apply(x, rows);
        int hd = c.headDim(), heads = c.nHeads(), qDim = heads * hd, kvDim = c.nKvHeads() * hd, stride = qDim + 2 * kvDim;
        float[] q = new float[rows * qDim], k = new float[rows * kvDim], v = new float[rows * kvDim];
        for (int r = 0; r < rows; r++) {
            if (layout == QkvLayout.FUSED) {
                // [q | k | v]
                System.arraycopy(fused, r * stride, q, r * qDim, qDim);
                System.arraycopy(fused, r * stride + qDim, k, r * kvDim, kvDim);
                System.arraycopy(fused, r * stride + qDim + kvDim, v, r * kvDim, kvDim);
            } else {
                // [heads, 3, d_head]: q, k, v of head 0, then of head 1, ...
                for (int h = 0; h < heads; h++) {
                    int src = r * stride + h * 3 * hd, dst = r * qDim + h * hd;
                    System.arraycopy(fused, src, q, dst, hd);
                    System.arraycopy(fused, src + hd, k, dst, hd);
                    System.arraycopy(fused, src + 2 * hd, v, dst, hd);
                }
            }
        }
        return new float[][]{q, k, v};
    }

    /** down(act(up(x))), or down(act(gate(x)) * up(x)) for a gated MLP. */
    private float[] mlp(Block bl, float[] x, int rows) {
        if (bl.gate() == null) {
            float[] h = bl.up().apply(x, rows);
            Ops.activate(c.activation(), h, h.length);
            return bl.down().apply(h, rows);
        }
        float[] gate = bl.gate().apply(x, rows), up = bl.up().apply(x, rows);
        Ops.gatedActivate(c.activation(), gate, up, gate.length);
        return bl.down().apply(gate, rows);
    }

    private void norm(Norm n, float[] x, int rows, float[] out) {
        if (n.rms()) Ops.rmsNorm(x, rows, c.dModel(), n.weight(), c.normEps(), out);
        else Ops.layerNorm(x, rows, c.dModel(), n.weight(), n.bias(), c.normEps(), out);
    }

    @Override
    public Tensor unembed(Tensor residual) {
        int n = residual.dim(0);
        float[] normed = new float[n * c.dModel()];
        norm(w.finalNorm(), residual.data(), n, normed);
        return new Tensor(w.unembed().apply(normed, n), n, c.vocabSize());
    }

    @Override
    public KvCache newCache(int batchSize, int capacity) {
        return new KvCache(c.nLayers(), batchSize, c.nKvHeads(), c.headDim(), capacity);
    }
}
