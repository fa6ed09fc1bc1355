package org.mesascope.core.model;

import org.mesascope.core.cpu.Activation;
import org.mesascope.core.model.BlockRecipe.Mlp;
import org.mesascope.core.model.BlockRecipe.Norm;
import org.mesascope.core.model.BlockRecipe.Positions;
import org.mesascope.core.model.BlockRecipe.QkvLayout;
import org.mesascope.core.model.BlockRecipe.Residual;
import org.mesascope.core.model.WeightMap.Role;

/**
 * GPT-2 (Radford et al. 2019) as Hugging Face's GPT2LMHeadModel: learned positions, pre-LayerNorm blocks, fused
 * c_attn whose output is [q | k | v], gelu_new MLP, unembedding tied to wte. Linear layers are Conv1D ([in, out]
 * weights). With a {@link ModelConfig.VectorIo}, linear read-in and read-out layers take the place of the token
 * embedding and the unembedding (the in-context regression organism).
 */
public final class Gpt2 extends Architecture {
    public static final Gpt2 ARCH = new Gpt2();
    /** GPT-2's block: LayerNorm, learned positions, fused [q | k | v], plain MLP, sequential residual. */
    public static final BlockRecipe RECIPE = new BlockRecipe(Norm.LAYER_NORM, Residual.SEQUENTIAL, Positions.LEARNED,
            QkvLayout.FUSED, Mlp.PLAIN);

    private Gpt2() {
        super("GPT-2", "transformer.", "gpt2");
    }

    @Override
    public ModelConfig config(ModelConfig.Fields f, String modelType) {
        int d = f.integer("n_embd");
        int heads = f.integer("n_head");
        ModelConfig.VectorIo io = f.vectorIo();
        return new ModelConfig(this, RECIPE, "gpt2", d, f.integer("n_layer"), heads, heads, f.headDimOf(d, heads),
                f.has("n_inner") ? f.integer("n_inner") : 4 * d,
                io != null ? io.outputDim() : f.integer("vocab_size"), f.integer("n_positions"),
                f.number("layer_norm_epsilon", 1e-5), Activation.parse(f.string("activation_function", "gelu_new")),
                0, 0, null, f.bool("tie_word_embeddings", true), true, true, true, false, 0, 0,
                f.bool("scale_attn_by_inverse_layer_idx", false), io);
    }

    @Override
    public WeightMap weightMap(ModelConfig c, String p) {
        int d = c.dModel();
        ModelConfig.VectorIo io = c.vectors();
        WeightMap m = new WeightMap();
        if (io == null) m.table(Role.TOKEN_EMBED, p + "wte.weight", c.vocabSize(), d);
        else m.linear(Role.READ_IN, -1, "mesascope.read_in", io.inputDim(), d, true);
        m.table(Role.POS_EMBED, p + "wpe.weight", c.maxPositions(), d);
        for (int l = 0; l < c.nLayers(); l++) {
            String b = p + "h." + l + ".";
            m.norm(Role.LN1, l, b + "ln_1", d, true)
                    .conv1d(Role.QKV, l, b + "attn.c_attn", d, 3 * d)
                    .conv1d(Role.OUT, l, b + "attn.c_proj", d, d)
                    .norm(Role.LN2, l, b + "ln_2", d, true)
                    .conv1d(Role.UP, l, b + "mlp.c_fc", d, c.dMlp())
                    .conv1d(Role.DOWN, l, b + "mlp.c_proj", c.dMlp(), d);
        }
        m.norm(Role.FINAL_NORM, -1, p + "ln_f", d, true);
        if (io != null) m.linear(Role.UNEMBED, -1, "mesascope.read_out", d, io.outputDim(), true);
        else if (!c.tieEmbeddings()) m.linear(Role.UNEMBED, -1, "lm_head", d, c.vocabSize(), false);
        return m;
    }
}
