package org.mesascope.core.model;

import org.mesascope.core.cpu.Activation;
import org.mesascope.core.model.BlockRecipe.Mlp;
import org.mesascope.core.model.BlockRecipe.Norm;
import org.mesascope.core.model.BlockRecipe.Positions;
import org.mesascope.core.model.BlockRecipe.QkvLayout;
import org.mesascope.core.model.BlockRecipe.Residual;
import org.mesascope.core.model.WeightMap.Role;

/**
 * GPT-NeoX (Black et al. 2022) as Hugging Face's GPTNeoXForCausalLM, the architecture of Pythia: rotary embedding
 * ("rotate half") on the first rotary_pct of each head, fused query_key_value laid out per head as [q | k | v],
 * exact-erf GELU, and, with use_parallel_residual, attention and MLP both reading the block's input:
 * x + attn(ln1(x)) + mlp(ln2(x)).
 */
public final class GptNeox extends Architecture {
    public static final GptNeox ARCH = new GptNeox();

    private GptNeox() {
        super("GPT-NeoX", "gpt_neox.", "gpt_neox");
    }

    @Override
    public ModelConfig config(ModelConfig.Fields f, String modelType) {
        int d = f.integer("hidden_size");
        int heads = f.integer("num_attention_heads");
        int headDim = f.headDimOf(d, heads);
        double pct = f.number("rotary_pct", f.number("partial_rotary_factor", 0.25));
        double theta = f.has("rope_theta") ? f.number("rope_theta", 0) : f.number("rotary_emb_base", 10000);
        boolean bias = f.bool("attention_bias", true);
        Residual residual = f.bool("use_parallel_residual", true) ? Residual.PARALLEL : Residual.SEQUENTIAL;
        BlockRecipe recipe = new BlockRecipe(Norm.LAYER_NORM, residual, Positions.ROTARY_HALF, QkvLayout.FUSED_PER_HEAD, Mlp.PLAIN);
        return new ModelConfig(this, recipe, "gpt_neox", d, f.integer("num_hidden_layers"), heads, heads, headDim,
                f.integer("intermediate_size"), f.integer("vocab_size"), f.integer("max_position_embeddings"),
                f.number("layer_norm_eps", 1e-5), Activation.parse(f.string("hidden_act", "gelu")),
                (int) (headDim * pct), theta, f.ropeScaling(), f.bool("tie_word_embeddings", false), bias, bias, true,
                false, 0, 0, false, f.noVectorIo("gpt_neox"));
    }

    @Override
    public WeightMap weightMap(ModelConfig c, String p) {
        int d = c.dModel();
        WeightMap m = new WeightMap().table(Role.TOKEN_EMBED, p + "embed_in.weight", c.vocabSize(), d);
        for (int l = 0; l < c.nLayers(); l++) {
            String b = p + "layers." + l + ".";
            m.norm(Role.LN1, l, b + "input_layernorm", d, true)
                    .linear(Role.QKV, l, b + "attention.query_key_value", d, 3 * d, c.qkvBias())
                    .linear(Role.OUT, l, b + "attention.dense", d, d, c.outBias())
                    .norm(Role.LN2, l, b + "post_attention_layernorm", d, true)
                    .linear(Role.UP, l, b + "mlp.dense_h_to_4h", d, c.dMlp(), true)
                    .linear(Role.DOWN, l, b + "mlp.dense_4h_to_h", c.dMlp(), d, true);
        }
        m.norm(Role.FINAL_NORM, -1, p + "final_layer_norm", d, true);
        if (!c.tieEmbeddings()) m.linear(Role.UNEMBED, -1, "embed_out", d, c.vocabSize(), false);
        return m;
    }
}
