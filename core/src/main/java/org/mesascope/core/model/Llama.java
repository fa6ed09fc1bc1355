package org.mesascope.core.model;

import org.mesascope.core.cpu.Activation;
import org.mesascope.core.model.BlockRecipe.Mlp;
import org.mesascope.core.model.BlockRecipe.Norm;
import org.mesascope.core.model.BlockRecipe.Positions;
import org.mesascope.core.model.BlockRecipe.QkvLayout;
import org.mesascope.core.model.BlockRecipe.Residual;
import org.mesascope.core.model.WeightMap.Role;

/**
 * Llama (Touvron et al. 2023) as Hugging Face's LlamaForCausalLM, which Mistral and Qwen2 share: RMSNorm, rotary
 * embedding ("rotate half", with linear or llama3 rope_scaling), grouped-query attention, SwiGLU MLP
 * down(silu(gate(x)) * up(x)). Qwen2 adds q/k/v biases; Mistral and Qwen2 may limit attention to a sliding window.
 */
public final class Llama extends Architecture {
    public static final Llama ARCH = new Llama();
    /** The Llama family's block: RMSNorm, rotate-half rotary, separate q/k/v, SwiGLU, sequential residual. */
    public static final BlockRecipe RECIPE = new BlockRecipe(Norm.RMS_NORM, Residual.SEQUENTIAL, Positions.ROTARY_HALF,
            QkvLayout.SEPARATE, Mlp.GATED);

    private Llama() {
        super("Llama", "model.", "llama", "mistral", "qwen2");
    }

    @Override
    public ModelConfig config(ModelConfig.Fields f, String type) {
        int d = f.integer("hidden_size");
        int heads = f.integer("num_attention_heads");
        int kvHeads = f.has("num_key_value_heads") ? f.integer("num_key_value_heads") : heads;
        int headDim = f.has("head_dim") ? f.integer("head_dim") : d / Math.max(1, heads);
        boolean qwen = type.equals("qwen2");
        boolean attnBias = f.bool("attention_bias", false);
        // Mistral windows every layer when sliding_window is set; Qwen2 only with use_sliding_window, from
        // layer max_window_layers on
        int window = 0, fromLayer = 0;
        if (type.equals("mistral") && f.has("sliding_window")) window = f.integer("sliding_window");
        if (qwen && f.bool("use_sliding_window", false)) {
            window = f.integer("sliding_window");
            fromLayer = f.integer("max_window_layers");
        }
        return new ModelConfig(this, RECIPE, type, d, f.integer("num_hidden_layers"), heads, kvHeads, headDim,
                f.integer("intermediate_size"), f.integer("vocab_size"), f.integer("max_position_embeddings"),
                f.number("rms_norm_eps", 1e-6), Activation.parse(f.string("hidden_act", "silu")),
                headDim, f.number("rope_theta", 10000), f.ropeScaling(), f.bool("tie_word_embeddings", false),
                qwen || attnBias, attnBias, f.bool("mlp_bias", false), false, window, fromLayer, false, f.noVectorIo(type));
    }

    @Override
    public WeightMap weightMap(ModelConfig c, String p) {
        int d = c.dModel(), qDim = c.nHeads() * c.headDim(), kvDim = c.nKvHeads() * c.headDim();
        WeightMap m = new WeightMap().table(Role.TOKEN_EMBED, p + "embed_tokens.weight", c.vocabSize(), d);
        for (int l = 0; l < c.nLayers(); l++) {
            String b = p + "layers." + l + ".";
            m.norm(Role.LN1, l, b + "input_layernorm", d, false)
                    .linear(Role.Q, l, b + "self_attn.q_proj", d, qDim, c.qkvBias())
                    .linear(Role.K, l, b + "self_attn.k_proj", d, kvDim, c.qkvBias())
                    .linear(Role.V, l, b + "self_attn.v_proj", d, kvDim, c.qkvBias())
                    .linear(Role.OUT, l, b + "self_attn.o_proj", qDim, d, c.outBias())
                    .norm(Role.LN2, l, b + "post_attention_layernorm", d, false)
                    .linear(Role.GATE, l, b + "mlp.gate_proj", d, c.dMlp(), c.mlpBias())
                    .linear(Role.UP, l, b + "mlp.up_proj", d, c.dMlp(), c.mlpBias())
                    .linear(Role.DOWN, l, b + "mlp.down_proj", c.dMlp(), d, c.mlpBias());
        }
        m.norm(Role.FINAL_NORM, -1, p + "norm", d, false);
        if (!c.tieEmbeddings()) m.linear(Role.UNEMBED, -1, "lm_head", d, c.vocabSize(), false);
        return m;
    }
}
