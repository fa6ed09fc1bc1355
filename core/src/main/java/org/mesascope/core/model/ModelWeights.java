package org.mesascope.core.model;

import org.mesascope.core.MesascopeException;
import org.mesascope.core.cpu.Gemm;
import org.mesascope.core.cpu.Linear;
import org.mesascope.core.io.WeightTensor;
import org.mesascope.core.io.Weights;
import org.mesascope.core.model.WeightMap.Key;
import org.mesascope.core.model.WeightMap.Part;
import org.mesascope.core.model.WeightMap.Role;
import org.mesascope.core.model.WeightMap.Slot;

import java.util.HashMap;
import java.util.Map;

/**
 * A checkpoint's tensors in the terms of the shared forward pass, whatever its family calls them: matrices stay in
 * the memory-mapped file (a {@link Linear} knows their layout), norms and biases are read into float arrays. Shapes use
 * d = d_model, H = heads, K = key/value heads, dh = d_head, V = vocab (or a vector model's outputs), P = max positions.
 *
 * @param tokenEmbedding    [V, d]; null for a vector-input model
 * @param readIn            d_in → d; a vector-input model's replacement for the token embedding, else null
 * @param positionEmbedding [P, d]; learned positions only, else null
 * @param blocks            one per layer
 * @param finalNorm         the norm before the unembedding
 * @param unembed           d → V (weight [V, d]; the token embedding itself when tied), bias [V] or null
 */
public record ModelWeights(WeightTensor tokenEmbedding, Linear readIn, WeightTensor positionEmbedding, Block[] blocks,
                           Norm finalNorm, Linear unembed) {

    /**
     * LayerNorm or RMSNorm.
     *
     * @param weight [d]
     * @param bias   [d]; null for RMSNorm
     */
    public record Norm(float[] weight, float[] bias, boolean rms) {
    }

    /**
     * One transformer block.
     *
     * @param ln1  before attention (and before the MLP when the recipe shares it)
     * @param qkv  d → (H + 2K)·dh, fused as the recipe's {@link BlockRecipe.QkvLayout} says; null when separate
     * @param q    d → H·dh; null when fused
     * @param k    d → K·dh; null when fused
     * @param v    d → K·dh; null when fused
     * @param out  H·dh → d, the attention output projection
     * @param ln2  before the MLP; null when it reads ln1's output (GPT-J)
     * @param gate d → d_mlp; gated MLPs only, else null
     * @param up   d → d_mlp
     * @param down d_mlp → d
     */
    public record Block(Norm ln1, Linear qkv, Linear q, Linear k, Linear v, Linear out, Norm ln2, Linear gate,
                        Linear up, Linear down) {
    }

    /** The weights of {@code c}'s family in {@code w}; every tensor of the family's map is checked for presence and shape. */
    public static ModelWeights bind(ModelConfig c, Weights w) {
        Map<Key, WeightTensor> byKey = new HashMap<>();
        Map<Key, Slot> slots = new HashMap<>();
        for (Slot s : c.family().weightMap(c, w).slots()) {
            byKey.put(s.key(), w.get(s.name(), s.shape()));
            slots.put(s.key(), s);
        }
        Binder b = new Binder(byKey, slots, c.recipe().norm() == BlockRecipe.Norm.RMS_NORM);

        Block[] blocks = new Block[c.nLayers()];
        for (int l = 0; l < blocks.length; l++) {
            blocks[l] = new Block(b.norm(Role.LN1, l), b.linear(Role.QKV, l), b.linear(Role.Q, l), b.linear(Role.K, l),
                    b.linear(Role.V, l), b.linear(Role.OUT, l), b.norm(Role.LN2, l), b.linear(Role.GATE, l),
                    b.linear(Role.UP, l), b.linear(Role.DOWN, l));
        }
        WeightTensor tokens = b.tensor(Role.TOKEN_EMBED, Part.WEIGHT, -1);
        Linear unembed = b.linear(Role.UNEMBED, -1);
        if (unembed == null) {
            if (!c.tieEmbeddings() || tokens == null) throw new IllegalStateException(c.family().displayName() + " map has no unembedding");
            // tied: the token embedding read as [vocab, d], with the unembedding's own bias where the family stores one
            unembed = new Linear(tokens, Gemm.Layout.OUT_IN, b.floats(Role.UNEMBED, Part.BIAS, -1), c.dModel(), c.vocabSize());
        }
        return new ModelWeights(tokens, b.linear(Role.READ_IN, -1), b.tensor(Role.POS_EMBED, Part.WEIGHT, -1), blocks,
                b.norm(Role.FINAL_NORM, -1), unembed);
    }

    private record Binder(Map<Key, WeightTensor> tensors, Map<Key, Slot> slots, boolean rms) {
        WeightTensor tensor(Role role, Part part, int layer) {
            return tensors.get(new Key(role, part, layer));
        }

        float[] floats(Role role, Part part, int layer) {
            WeightTensor t = tensor(role, part, layer);
            return t == null ? null : t.toFloatArray();
        }

        Norm norm(Role role, int layer) {
            float[] weight = floats(role, Part.WEIGHT, layer);
            if (weight == null) return null;
            float[] bias = floats(role, Part.BIAS, layer);
            if (!rms && bias == null) throw new MesascopeException("LayerNorm " + slots.get(new Key(role, Part.WEIGHT, layer)).name() + " has no bias");
            return new Norm(weight, bias, rms);
        }

        Linear linear(Role role, int layer) {
            Slot s = slots.get(new Key(role, Part.WEIGHT, layer));
            if (s == null) return null;
            WeightTensor weight = tensor(role, Part.WEIGHT, layer);
            boolean outIn = s.layout() == Gemm.Layout.OUT_IN;
            int in = outIn ? s.shape()[1] : s.shape()[0], out = outIn ? s.shape()[0] : s.shape()[1];
            return new Linear(weight, s.layout(), floats(role, Part.BIAS, layer), in, out);
        }
    }
}
