package org.mesascope.core.model;

import org.mesascope.core.cpu.Activation;
import org.mesascope.core.model.BlockRecipe.Mlp;
import org.mesascope.core.model.BlockRecipe.Norm;
import org.mesascope.core.model.BlockRecipe.Positions;
import org.mesascope.core.model.BlockRecipe.QkvLayout;
import org.mesascope.core.model.BlockRecipe.Residual;
import org.mesascope.core.model.WeightMap.Role;

/**
 * GPT-J (Wang and Komatsuzaki 2021) as Hugging Face's GPTJForCausalLM: one LayerNorm per block feeding attention and
 * MLP in parallel, x + attn(ln1(x)) + mlp(ln1(x)); rotary embedding on the first rotary_dim dimensions of each head
 * in the interleaved layout ("rotate_every_two": dimension 2i turns with 2i + 1), base 10000; q, k, v and out_proj
 * without biases; gelu_new MLP fc_in/fc_out with biases; an untied lm_head that has a bias.
 */
public final class GptJ extends Architecture {
    public static final GptJ ARCH = new GptJ();

    private GptJ() {
        super("GPT-J", "transformer.", "gptj");
    }

    @Override
    public ModelConfig config(ModelConfig.Fields f, String modelType) {
        int d = f.integer("n_embd");
        int heads = f.integer("n_head");
        BlockRecipe recipe = new BlockRecipe(Norm.LAYER_NORM, Residual.PARALLEL_SHARED_NORM, Positions.ROTARY_INTERLEAVED,
                QkvLayout.SEPARATE, Mlp.PLAIN);
        // GPTJConfig's defaults: rotary_dim 64, n_inner null (4 * n_embd), untied embeddings
        return new ModelConfig(this, recipe, "gptj", d, f.integer("n_layer"), heads, heads, f.headDimOf(d, heads),
                f.has("n_inner") ? f.integer("n_inner") : 4 * d, f.integer("vocab_size"), f.integer("n_positions"),
                f.number("layer_norm_epsilon", 1e-5), Activation.parse(f.string("activation_function", "gelu_new")),
                f.has("rotary_dim") ? f.integer("rotary_dim") : 64, 10000, null, f.bool("tie_word_embeddings", false),
                false, false, true, true, 0, 0, false, f.noVectorIo("gptj"));
    }

    @Override
    public WeightMap weightMap(ModelConfig c, String p) {
        int d = c.dModel();
        WeightMap m = new WeightMap().table(Role.TOKEN_EMBED, p + "wte.weight", c.vocabSize(), d);
        for (int l = 0; l < c.nLayers(); l++) {
            String b = p + "h." + l + ".";
            m.norm(Role.LN1, l, b + "ln_1", d, true)
                    .linear(Role.Q, l, b + "attn.q_proj", d, d, false)
                    .linear(Role.K, l, b + "attn.k_proj", d, d, false)
                    .linear(Role.V, l, b + "attn.v_proj", d, d, false)
                    .linear(Role.OUT, l, b + "attn.out_proj", d, d, false)
                    .linear(Role.UP, l, b + "mlp.fc_in", d, c.dMlp(), true)
                    .linear(Role.DOWN, l, b + "mlp.fc_out", c.dMlp(), d, true);
        }
        m.norm(Role.FINAL_NORM, -1, p + "ln_f", d, true);
        // tied, lm_head.weight is wte's (transformers' tie_weights), while lm_head.bias stays a tensor of its own
        if (!c.tieEmbeddings()) m.linear(Role.UNEMBED, -1, "lm_head", d, c.vocabSize(), c.unembedBias());
        else if (c.unembedBias()) m.bias(Role.UNEMBED, -1, "lm_head.bias", c.vocabSize());
        return m;
    }
}
