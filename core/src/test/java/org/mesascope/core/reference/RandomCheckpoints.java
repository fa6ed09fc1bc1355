package org.mesascope.core.reference;

import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Tiny random Hugging Face checkpoints (config.json + model.safetensors, or shards with
 * model.safetensors.index.json) for every architecture variant the engine must support.
 *
 * <p>Deterministic: a tensor's values depend only on the seed and its name without the GPT-2
 * "transformer." prefix, so variants that differ only in file layout (prefix, shards, legacy
 * buffers) hold identical weights, and the F16/BF16 variants hold the same weights rounded.
 *
 * <p>Scales are chosen so activations are O(1) and softmaxes are not saturated: embeddings
 * N(0, 0.4²), GPT-2 positions N(0, 0.2²), linear weights N(0, 1/fan_in), biases N(0, 0.1²), norm
 * weights 1 + N(0, 0.2²) and LayerNorm biases N(0, 0.2²) (non-trivial, so mistakes in them show).
 */
public final class RandomCheckpoints {

    private RandomCheckpoints() {}

    /**
     * One checkpoint layout. {@code config} holds the model-specific config.json entries (sizes and
     * switches); {@link #hfConfig(Variant)} adds the rest as transformers' save_pretrained writes it.
     * {@code transformerPrefix} and {@code legacyBuffers} matter for GPT-2 only.
     */
    public record Variant(String name, String modelType, String dtype, boolean transformerPrefix,
                          boolean legacyBuffers, int shards, Map<String, Object> config) {

        public Variant {
            config = Collections.unmodifiableMap(new TreeMap<>(config)); // TreeMap: null values allowed
        }

        /** A copy with one config.json entry replaced (value may be null, written as JSON null). */
        public Variant with(String key, Object value) {
            Map<String, Object> c = new TreeMap<>(config);
            c.put(key, value);
            return new Variant(name, modelType, dtype, transformerPrefix, legacyBuffers, shards, c);
        }

        public Variant named(String newName) {
            return new Variant(newName, modelType, dtype, transformerPrefix, legacyBuffers, shards, config);
        }

        public Variant withDtype(String newDtype) {
            return new Variant(name, modelType, newDtype, transformerPrefix, legacyBuffers, shards, config);
        }

        public Variant withShards(int n) {
            return new Variant(name, modelType, dtype, transformerPrefix, legacyBuffers, n, config);
        }

        public Variant withLayout(boolean prefix, boolean buffers) {
            return new Variant(name, modelType, dtype, prefix, buffers, shards, config);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private static Map<String, Object> cfg(Object... kv) {
        Map<String, Object> m = new TreeMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    // ------------------------------------------------------------------ the variants

    /** GPT-2, F32, names under "transformer.", with the old attn.bias / attn.masked_bias buffers. */
    public static final Variant GPT2 = new Variant("GPT2", "gpt2", "F32", true, true, 1,
            cfg("vocab_size", 80, "n_positions", 64, "n_embd", 48, "n_layer", 3, "n_head", 4));
    /** GPT-2 as the original openai checkpoints name it (h.0..., wte.weight), no buffers. */
    public static final Variant GPT2_NO_PREFIX = GPT2.named("GPT2_NO_PREFIX").withLayout(false, false);
    public static final Variant GPT2_F16 = GPT2_NO_PREFIX.named("GPT2_F16").withDtype("F16");
    public static final Variant GPT2_BF16 = GPT2_NO_PREFIX.named("GPT2_BF16").withDtype("BF16");
    /** GPT2 split over two shards with model.safetensors.index.json. */
    public static final Variant GPT2_SHARDED = GPT2.named("GPT2_SHARDED").withShards(2);

    /** Pythia-style: rotary on a quarter of each head, parallel residual, exact-erf gelu. */
    public static final Variant NEOX_PARALLEL = new Variant("NEOX_PARALLEL", "gpt_neox", "F32", false, false, 1,
            cfg("vocab_size", 96, "hidden_size", 64, "num_hidden_layers", 2, "num_attention_heads", 4,
                    "intermediate_size", 256, "max_position_embeddings", 64, "rotary_pct", 0.25,
                    "rotary_emb_base", 10000, "use_parallel_residual", true, "hidden_act", "gelu"));
    /** GPT-NeoX with rotary on the whole head and a sequential residual. */
    public static final Variant NEOX_SEQUENTIAL = new Variant("NEOX_SEQUENTIAL", "gpt_neox", "F32", false, false, 1,
            cfg("vocab_size", 72, "hidden_size", 32, "num_hidden_layers", 3, "num_attention_heads", 4,
                    "intermediate_size", 128, "max_position_embeddings", 64, "rotary_pct", 1.0,
                    "rotary_emb_base", 10000, "use_parallel_residual", false, "hidden_act", "gelu"));

    /** Llama with GQA (8 query heads, 2 kv heads) and head_dim 8 ≠ hidden/heads = 6; untied lm_head. */
    public static final Variant LLAMA_GQA = new Variant("LLAMA_GQA", "llama", "F32", false, false, 1,
            cfg("vocab_size", 72, "hidden_size", 48, "num_hidden_layers", 2, "num_attention_heads", 8,
                    "num_key_value_heads", 2, "head_dim", 8, "intermediate_size", 96,
                    "max_position_embeddings", 64));
    /**
     * Llama-3.1 rope scaling with original_max_position_embeddings 32, so that at head_dim 32 and
     * theta 500000 one frequency is kept (wavelength 6.3 < 8), one is smoothed (14.3) and the rest are
     * divided by 8 (≥ 32.4 > 32). Tied embeddings.
     */
    public static final Variant LLAMA3_SCALING = new Variant("LLAMA3_SCALING", "llama", "F32", false, false, 1,
            cfg("vocab_size", 64, "hidden_size", 64, "num_hidden_layers", 2, "num_attention_heads", 4,
                    "num_key_value_heads", 2, "head_dim", 32, "intermediate_size", 128,
                    "max_position_embeddings", 64, "rope_theta", 500000.0, "rms_norm_eps", 1e-5,
                    "tie_word_embeddings", true,
                    "rope_scaling", cfg("rope_type", "llama3", "factor", 8.0, "low_freq_factor", 1.0,
                            "high_freq_factor", 4.0, "original_max_position_embeddings", 32)));
    /** Linear rope scaling, factor 2, spelled with the old "type" key. */
    public static final Variant LLAMA_LINEAR_SCALING = new Variant("LLAMA_LINEAR_SCALING", "llama", "F32", false, false, 1,
            cfg("vocab_size", 60, "hidden_size", 32, "num_hidden_layers", 2, "num_attention_heads", 4,
                    "num_key_value_heads", 4, "intermediate_size", 64, "max_position_embeddings", 64,
                    "rope_scaling", cfg("type", "linear", "factor", 2.0)));
    /** Llama with attention_bias (q, k, v, o) and mlp_bias (gate, up, down). */
    public static final Variant LLAMA_BIAS = new Variant("LLAMA_BIAS", "llama", "F32", false, false, 1,
            cfg("vocab_size", 64, "hidden_size", 32, "num_hidden_layers", 2, "num_attention_heads", 4,
                    "num_key_value_heads", 2, "intermediate_size", 80, "max_position_embeddings", 64,
                    "attention_bias", true, "mlp_bias", true));
    /** Mistral with GQA and sliding_window null. */
    public static final Variant MISTRAL = new Variant("MISTRAL", "mistral", "F32", false, false, 1,
            cfg("vocab_size", 88, "hidden_size", 48, "num_hidden_layers", 2, "num_attention_heads", 6,
                    "num_key_value_heads", 2, "head_dim", 8, "intermediate_size", 128,
                    "max_position_embeddings", 64, "rms_norm_eps", 1e-5, "sliding_window", null));
    /**
     * Qwen2: q/k/v biases, no o_proj bias, tied, theta 1e6. sliding_window is 4 but
     * use_sliding_window is false, so no window applies (an engine that applies it anyway fails).
     */
    public static final Variant QWEN2 = new Variant("QWEN2", "qwen2", "F32", false, false, 1,
            cfg("vocab_size", 100, "hidden_size", 64, "num_hidden_layers", 2, "num_attention_heads", 4,
                    "num_key_value_heads", 2, "intermediate_size", 160, "max_position_embeddings", 64,
                    "rope_theta", 1000000.0, "tie_word_embeddings", true, "sliding_window", 4,
                    "use_sliding_window", false, "max_window_layers", 1));

    /**
     * GPT-J: rotary on 8 of each head's 12 dimensions (interleaved pairs; the last 4 pass through), one LayerNorm
     * feeding attention and MLP in parallel, lm_head with a bias; the causal-mask buffers old checkpoints carry.
     */
    public static final Variant GPTJ = new Variant("GPTJ", "gptj", "F32", false, true, 1,
            cfg("vocab_size", 80, "n_positions", 64, "n_embd", 48, "n_layer", 3, "n_head", 4, "rotary_dim", 8));

    /** GPT-J with tie_word_embeddings: lm_head.weight stored but unused (wte is), lm_head.bias still applied. */
    public static final Variant GPTJ_TIED = GPTJ.named("GPTJ_TIED").with("tie_word_embeddings", true);

    /** Mistral whose sliding window (5) is shorter than test sequences. Not in {@link #all()}. */
    public static final Variant MISTRAL_SLIDING = MISTRAL.named("MISTRAL_SLIDING").with("sliding_window", 5);
    /** Qwen2 with use_sliding_window: layer 0 full, layer 1 (>= max_window_layers) window 4. Not in {@link #all()}. */
    public static final Variant QWEN2_SLIDING = QWEN2.named("QWEN2_SLIDING").with("use_sliding_window", true);

    /** Every variant the engine must match. */
    public static List<Variant> all() {
        return List.of(GPT2, GPT2_NO_PREFIX, GPT2_F16, GPT2_BF16, GPT2_SHARDED, NEOX_PARALLEL, NEOX_SEQUENTIAL,
                LLAMA_GQA, LLAMA3_SCALING, LLAMA_LINEAR_SCALING, LLAMA_BIAS, MISTRAL, QWEN2, GPTJ, GPTJ_TIED);
    }

    /** Sliding-window variants (HF semantics: key j visible from query i iff i − W < j ≤ i). */
    public static List<Variant> extras() {
        return List.of(MISTRAL_SLIDING, QWEN2_SLIDING);
    }

    // ------------------------------------------------------------------ config.json

    /** The full config.json for a variant, keys as transformers 4.5x's save_pretrained writes them. */
    public static Map<String, Object> hfConfig(Variant v) {
        Map<String, Object> c = new TreeMap<>();
        switch (v.modelType()) {
            case "gpt2" -> {
                c.put("architectures", List.of("GPT2LMHeadModel"));
                c.put("activation_function", "gelu_new");
                c.put("attn_pdrop", 0.1);
                c.put("embd_pdrop", 0.1);
                c.put("resid_pdrop", 0.1);
                c.put("initializer_range", 0.02);
                c.put("layer_norm_epsilon", 1e-5);
                c.put("n_inner", null);
                c.put("reorder_and_upcast_attn", false);
                c.put("scale_attn_by_inverse_layer_idx", false);
                c.put("scale_attn_weights", true);
                c.put("summary_activation", null);
                c.put("summary_first_dropout", 0.1);
                c.put("summary_proj_to_labels", true);
                c.put("summary_type", "cls_index");
                c.put("summary_use_proj", true);
                // tie_word_embeddings: true is PretrainedConfig's default, so HF does not write it.
            }
            case "gpt_neox" -> {
                c.put("architectures", List.of("GPTNeoXForCausalLM"));
                c.put("attention_bias", true);
                c.put("attention_dropout", 0.0);
                c.put("classifier_dropout", 0.1);
                c.put("hidden_act", "gelu");
                c.put("hidden_dropout", 0.0);
                c.put("initializer_range", 0.02);
                c.put("layer_norm_eps", 1e-5);
                c.put("rope_scaling", null);
                c.put("rotary_emb_base", 10000);
                c.put("rotary_pct", 0.25);
                c.put("tie_word_embeddings", false);
                c.put("use_parallel_residual", true);
            }
            case "llama" -> {
                c.put("architectures", List.of("LlamaForCausalLM"));
                c.put("attention_bias", false);
                c.put("attention_dropout", 0.0);
                c.put("hidden_act", "silu");
                c.put("initializer_range", 0.02);
                c.put("mlp_bias", false);
                c.put("pretraining_tp", 1);
                c.put("rms_norm_eps", 1e-6);
                c.put("rope_scaling", null);
                c.put("rope_theta", 10000.0);
                c.put("tie_word_embeddings", false);
            }
            case "mistral" -> {
                c.put("architectures", List.of("MistralForCausalLM"));
                c.put("attention_dropout", 0.0);
                c.put("hidden_act", "silu");
                c.put("initializer_range", 0.02);
                c.put("rms_norm_eps", 1e-6);
                c.put("rope_theta", 10000.0);
                c.put("sliding_window", 4096);
                c.put("tie_word_embeddings", false);
            }
            case "qwen2" -> {
                c.put("architectures", List.of("Qwen2ForCausalLM"));
                c.put("attention_dropout", 0.0);
                c.put("hidden_act", "silu");
                c.put("initializer_range", 0.02);
                c.put("max_window_layers", 28);
                c.put("rms_norm_eps", 1e-6);
                c.put("rope_scaling", null);
                c.put("rope_theta", 10000.0);
                c.put("sliding_window", 4096);
                c.put("tie_word_embeddings", false);
                c.put("use_sliding_window", false);
            }
            case "gptj" -> {
                c.put("architectures", List.of("GPTJForCausalLM"));
                c.put("activation_function", "gelu_new");
                c.put("attn_pdrop", 0.0);
                c.put("embd_pdrop", 0.0);
                c.put("resid_pdrop", 0.0);
                c.put("initializer_range", 0.02);
                c.put("layer_norm_epsilon", 1e-5);
                c.put("n_inner", null);
                c.put("rotary_dim", 64);
                c.put("tie_word_embeddings", false);
            }
            default -> throw new IllegalArgumentException("unknown model_type " + v.modelType());
        }
        c.put("model_type", v.modelType());
        c.put("use_cache", true);
        c.put("transformers_version", "4.51.3");
        c.put("torch_dtype", switch (v.dtype()) {
            case "F32" -> "float32";
            case "F16" -> "float16";
            case "BF16" -> "bfloat16";
            default -> throw new IllegalArgumentException("dtype " + v.dtype());
        });
        c.putAll(v.config());
        int vocab = ((Number) c.get("vocab_size")).intValue();
        c.putIfAbsent("bos_token_id", vocab - 1);
        c.putIfAbsent("eos_token_id", vocab - 1);
        switch (v.modelType()) {
            case "gpt_neox" -> {
                // transformers >= 4.45 mirrors these under the generic names as well
                c.put("partial_rotary_factor", c.get("rotary_pct"));
                c.put("rope_theta", c.get("rotary_emb_base"));
            }
            case "llama", "mistral" -> {
                if (c.get("head_dim") == null) {
                    c.put("head_dim", ((Number) c.get("hidden_size")).intValue()
                            / ((Number) c.get("num_attention_heads")).intValue());
                }
                c.putIfAbsent("num_key_value_heads", c.get("num_attention_heads"));
            }
            case "qwen2" -> c.putIfAbsent("num_key_value_heads", c.get("num_attention_heads"));
            default -> { }
        }
        return c;
    }

    // ------------------------------------------------------------------ tensors

    private enum Init { EMBED, POS, NORM_WEIGHT, NORM_BIAS, LINEAR, BIAS, CAUSAL_BUFFER, MASKED_BIAS }

    /** One tensor to generate; {@code name} is canonical (no GPT-2 "transformer." prefix). */
    private record Spec(String name, int[] shape, Init init, int fanIn) {}

    private static int num(Map<String, Object> c, String key) {
        return ((Number) c.get(key)).intValue();
    }

    private static boolean flag(Map<String, Object> c, String key) {
        return Boolean.TRUE.equals(c.get(key));
    }

    private static List<Spec> specs(Variant v, Map<String, Object> c) {
        List<Spec> s = new ArrayList<>();
        switch (v.modelType()) {
            case "gpt2" -> {
                int V = num(c, "vocab_size"), d = num(c, "n_embd"), P = num(c, "n_positions");
                int inner = c.get("n_inner") == null ? 4 * d : num(c, "n_inner");
                s.add(new Spec("wte.weight", new int[] {V, d}, Init.EMBED, 0));
                s.add(new Spec("wpe.weight", new int[] {P, d}, Init.POS, 0));
                for (int l = 0; l < num(c, "n_layer"); l++) {
                    String b = "h." + l + ".";
                    s.add(new Spec(b + "ln_1.weight", new int[] {d}, Init.NORM_WEIGHT, 0));
                    s.add(new Spec(b + "ln_1.bias", new int[] {d}, Init.NORM_BIAS, 0));
                    if (v.legacyBuffers()) {
                        s.add(new Spec(b + "attn.bias", new int[] {1, 1, P, P}, Init.CAUSAL_BUFFER, 0));
                        s.add(new Spec(b + "attn.masked_bias", new int[] {}, Init.MASKED_BIAS, 0));
                    }
                    // Conv1D weights are [in, out]
                    s.add(new Spec(b + "attn.c_attn.weight", new int[] {d, 3 * d}, Init.LINEAR, d));
                    s.add(new Spec(b + "attn.c_attn.bias", new int[] {3 * d}, Init.BIAS, 0));
                    s.add(new Spec(b + "attn.c_proj.weight", new int[] {d, d}, Init.LINEAR, d));
                    s.add(new Spec(b + "attn.c_proj.bias", new int[] {d}, Init.BIAS, 0));
                    s.add(new Spec(b + "ln_2.weight", new int[] {d}, Init.NORM_WEIGHT, 0));
                    s.add(new Spec(b + "ln_2.bias", new int[] {d}, Init.NORM_BIAS, 0));
                    s.add(new Spec(b + "mlp.c_fc.weight", new int[] {d, inner}, Init.LINEAR, d));
                    s.add(new Spec(b + "mlp.c_fc.bias", new int[] {inner}, Init.BIAS, 0));
                    s.add(new Spec(b + "mlp.c_proj.weight", new int[] {inner, d}, Init.LINEAR, inner));
                    s.add(new Spec(b + "mlp.c_proj.bias", new int[] {d}, Init.BIAS, 0));
                }
                s.add(new Spec("ln_f.weight", new int[] {d}, Init.NORM_WEIGHT, 0));
                s.add(new Spec("ln_f.bias", new int[] {d}, Init.NORM_BIAS, 0));
                if (Boolean.FALSE.equals(c.get("tie_word_embeddings"))) {
                    s.add(new Spec("lm_head.weight", new int[] {V, d}, Init.EMBED, 0));
                }
            }
            case "gpt_neox" -> {
                int V = num(c, "vocab_size"), d = num(c, "hidden_size"), I = num(c, "intermediate_size");
                boolean attnBias = flag(c, "attention_bias");
                s.add(new Spec("gpt_neox.embed_in.weight", new int[] {V, d}, Init.EMBED, 0));
                for (int l = 0; l < num(c, "num_hidden_layers"); l++) {
                    String b = "gpt_neox.layers." + l + ".";
                    s.add(new Spec(b + "input_layernorm.weight", new int[] {d}, Init.NORM_WEIGHT, 0));
                    s.add(new Spec(b + "input_layernorm.bias", new int[] {d}, Init.NORM_BIAS, 0));
                    s.add(new Spec(b + "post_attention_layernorm.weight", new int[] {d}, Init.NORM_WEIGHT, 0));
                    s.add(new Spec(b + "post_attention_layernorm.bias", new int[] {d}, Init.NORM_BIAS, 0));
                    s.add(new Spec(b + "attention.query_key_value.weight", new int[] {3 * d, d}, Init.LINEAR, d));
                    if (attnBias) s.add(new Spec(b + "attention.query_key_value.bias", new int[] {3 * d}, Init.BIAS, 0));
                    s.add(new Spec(b + "attention.dense.weight", new int[] {d, d}, Init.LINEAR, d));
                    if (attnBias) s.add(new Spec(b + "attention.dense.bias", new int[] {d}, Init.BIAS, 0));
                    s.add(new Spec(b + "mlp.dense_h_to_4h.weight", new int[] {I, d}, Init.LINEAR, d));
                    s.add(new Spec(b + "mlp.dense_h_to_4h.bias", new int[] {I}, Init.BIAS, 0));
                    s.add(new Spec(b + "mlp.dense_4h_to_h.weight", new int[] {d, I}, Init.LINEAR, I));
                    s.add(new Spec(b + "mlp.dense_4h_to_h.bias", new int[] {d}, Init.BIAS, 0));
                }
                s.add(new Spec("gpt_neox.final_layer_norm.weight", new int[] {d}, Init.NORM_WEIGHT, 0));
                s.add(new Spec("gpt_neox.final_layer_norm.bias", new int[] {d}, Init.NORM_BIAS, 0));
                if (!flag(c, "tie_word_embeddings")) s.add(new Spec("embed_out.weight", new int[] {V, d}, Init.EMBED, 0));
            }
            case "llama", "mistral", "qwen2" -> {
                int V = num(c, "vocab_size"), d = num(c, "hidden_size"), I = num(c, "intermediate_size");
                int H = num(c, "num_attention_heads"), KV = num(c, "num_key_value_heads");
                int hd = c.get("head_dim") == null ? d / H : num(c, "head_dim");
                String type = v.modelType();
                boolean qkvBias = type.equals("qwen2") || (type.equals("llama") && flag(c, "attention_bias"));
                boolean oBias = type.equals("llama") && flag(c, "attention_bias");
                boolean mlpBias = type.equals("llama") && flag(c, "mlp_bias");
                s.add(new Spec("model.embed_tokens.weight", new int[] {V, d}, Init.EMBED, 0));
                for (int l = 0; l < num(c, "num_hidden_layers"); l++) {
                    String b = "model.layers." + l + ".";
                    s.add(new Spec(b + "input_layernorm.weight", new int[] {d}, Init.NORM_WEIGHT, 0));
                    linear(s, b + "self_attn.q_proj", H * hd, d, qkvBias);
                    linear(s, b + "self_attn.k_proj", KV * hd, d, qkvBias);
                    linear(s, b + "self_attn.v_proj", KV * hd, d, qkvBias);
                    linear(s, b + "self_attn.o_proj", d, H * hd, oBias);
                    s.add(new Spec(b + "post_attention_layernorm.weight", new int[] {d}, Init.NORM_WEIGHT, 0));
                    linear(s, b + "mlp.gate_proj", I, d, mlpBias);
                    linear(s, b + "mlp.up_proj", I, d, mlpBias);
                    linear(s, b + "mlp.down_proj", d, I, mlpBias);
                }
                s.add(new Spec("model.norm.weight", new int[] {d}, Init.NORM_WEIGHT, 0));
                if (!flag(c, "tie_word_embeddings")) s.add(new Spec("lm_head.weight", new int[] {V, d}, Init.EMBED, 0));
            }
            case "gptj" -> {
                int V = num(c, "vocab_size"), d = num(c, "n_embd"), P = num(c, "n_positions");
                int inner = c.get("n_inner") == null ? 4 * d : num(c, "n_inner");
                s.add(new Spec("transformer.wte.weight", new int[] {V, d}, Init.EMBED, 0));
                for (int l = 0; l < num(c, "n_layer"); l++) {
                    String b = "transformer.h." + l + ".";
                    s.add(new Spec(b + "ln_1.weight", new int[] {d}, Init.NORM_WEIGHT, 0));
                    s.add(new Spec(b + "ln_1.bias", new int[] {d}, Init.NORM_BIAS, 0));
                    if (v.legacyBuffers()) {
                        s.add(new Spec(b + "attn.bias", new int[] {1, 1, P, P}, Init.CAUSAL_BUFFER, 0));
                        s.add(new Spec(b + "attn.masked_bias", new int[] {}, Init.MASKED_BIAS, 0));
                    }
                    linear(s, b + "attn.q_proj", d, d, false);
                    linear(s, b + "attn.k_proj", d, d, false);
                    linear(s, b + "attn.v_proj", d, d, false);
                    linear(s, b + "attn.out_proj", d, d, false);
                    linear(s, b + "mlp.fc_in", inner, d, true);
                    linear(s, b + "mlp.fc_out", d, inner, true);
                }
                s.add(new Spec("transformer.ln_f.weight", new int[] {d}, Init.NORM_WEIGHT, 0));
                s.add(new Spec("transformer.ln_f.bias", new int[] {d}, Init.NORM_BIAS, 0));
                s.add(new Spec("lm_head.weight", new int[] {V, d}, Init.EMBED, 0));
                s.add(new Spec("lm_head.bias", new int[] {V}, Init.BIAS, 0));
            }
            default -> throw new IllegalArgumentException(v.modelType());
        }
        return s;
    }

    private static void linear(List<Spec> s, String prefix, int out, int in, boolean bias) {
        s.add(new Spec(prefix + ".weight", new int[] {out, in}, Init.LINEAR, in));
        if (bias) s.add(new Spec(prefix + ".bias", new int[] {out}, Init.BIAS, 0));
    }

    private static double[] values(Spec spec, long seed) {
        int n = 1;
        for (int x : spec.shape()) n *= x;
        double[] a = new double[n];
        Random r = new Random(mix(seed, spec.name()));
        switch (spec.init()) {
            case EMBED -> { for (int i = 0; i < n; i++) a[i] = 0.4 * r.nextGaussian(); }
            case POS -> { for (int i = 0; i < n; i++) a[i] = 0.2 * r.nextGaussian(); }
            case NORM_WEIGHT -> { for (int i = 0; i < n; i++) a[i] = 1 + 0.2 * r.nextGaussian(); }
            case NORM_BIAS -> { for (int i = 0; i < n; i++) a[i] = 0.2 * r.nextGaussian(); }
            case LINEAR -> {
                double std = 1 / Math.sqrt(spec.fanIn());
                for (int i = 0; i < n; i++) a[i] = std * r.nextGaussian();
            }
            case BIAS -> { for (int i = 0; i < n; i++) a[i] = 0.1 * r.nextGaussian(); }
            case CAUSAL_BUFFER -> {
                int P = spec.shape()[3];
                for (int i = 0; i < P; i++) for (int j = 0; j <= i; j++) a[i * P + j] = 1;
            }
            case MASKED_BIAS -> a[0] = -1e4;
        }
        return a;
    }

    /** A per-tensor seed from the checkpoint seed and the canonical name (splitmix64 finaliser). */
    private static long mix(long seed, String name) {
        long z = seed * 0x9E3779B97F4A7C15L + name.hashCode();
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    // ------------------------------------------------------------------ writing

    /** Sorted keys, two-space indent and "key": value, as transformers' to_json_string. */
    private static final ObjectWriter JSON = new ObjectMapper()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .writer(new DefaultPrettyPrinter().withSeparators(
                    Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER)));

    /** Write the variant into {@code dir} (created if needed) and return {@code dir}. */
    public static Path write(Path dir, Variant v, long seed) throws IOException {
        Files.createDirectories(dir);
        Map<String, Object> config = hfConfig(v);
        JSON.writeValue(dir.resolve("config.json").toFile(), config);
        Map<String, RefSafetensors.Raw> tensors = new LinkedHashMap<>();
        for (Spec spec : specs(v, config)) {
            boolean buffer = spec.init() == Init.CAUSAL_BUFFER || spec.init() == Init.MASKED_BIAS;
            String dtype = buffer ? "F32" : v.dtype(); // old GPT-2 buffers were float32 whatever the weights
            String stored = v.modelType().equals("gpt2") && v.transformerPrefix() && !spec.name().startsWith("lm_head")
                    ? "transformer." + spec.name() : spec.name();
            long[] shape = new long[spec.shape().length];
            for (int i = 0; i < shape.length; i++) shape[i] = spec.shape()[i];
            tensors.put(stored, new RefSafetensors.Raw(dtype, shape, RefSafetensors.encode(values(spec, seed), dtype)));
        }
        if (v.shards() <= 1) {
            RefSafetensors.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
        } else {
            writeShards(dir, tensors, v.shards());
        }
        return dir;
    }

    /**
     * Copy an HF model directory (single file or sharded) into {@code dst} re-split into {@code shards}
     * safetensors files with an index; other files (config.json, tokenizer files) are copied as they are.
     */
    public static Path writeShardedCopy(Path src, Path dst, int shards) throws IOException {
        Files.createDirectories(dst);
        try (Stream<Path> files = Files.list(src)) {
            for (Path f : files.toList()) {
                String n = f.getFileName().toString();
                if (Files.isRegularFile(f) && !n.endsWith(".safetensors") && !n.equals("model.safetensors.index.json")) {
                    Files.copy(f, dst.resolve(n), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        RefSafetensors.Checkpoint ckpt = RefSafetensors.Checkpoint.open(src);
        Map<String, RefSafetensors.Raw> tensors = new LinkedHashMap<>();
        for (String name : ckpt.names()) {
            RefSafetensors.Entry e = ckpt.entry(name);
            tensors.put(name, new RefSafetensors.Raw(e.dtype(), e.shape(), RefSafetensors.readBytes(e)));
        }
        writeShards(dst, tensors, shards);
        return dst;
    }

    /** Split tensors, in order, into {@code shards} files of roughly equal size, plus the HF index. */
    private static void writeShards(Path dir, Map<String, RefSafetensors.Raw> tensors, int shards) throws IOException {
        if (tensors.size() < shards) throw new IllegalArgumentException("fewer tensors than shards");
        long total = 0;
        for (RefSafetensors.Raw r : tensors.values()) total += r.bytes().length;
        List<Map<String, RefSafetensors.Raw>> parts = new ArrayList<>();
        for (int i = 0; i < shards; i++) parts.add(new LinkedHashMap<>());
        long acc = 0;
        int shard = 0;
        int remaining = tensors.size(); // tensors not yet placed, this one included
        for (Map.Entry<String, RefSafetensors.Raw> t : tensors.entrySet()) {
            boolean started = !parts.get(shard).isEmpty();
            boolean hasItsShare = acc >= total * (shard + 1) / shards;
            boolean laterShardsNeedTheRest = remaining <= shards - shard - 1;
            if (shard < shards - 1 && started && (hasItsShare || laterShardsNeedTheRest)) shard++;
            parts.get(shard).put(t.getKey(), t.getValue());
            acc += t.getValue().bytes().length;
            remaining--;
        }
        Map<String, Object> weightMap = new TreeMap<>();
        for (int i = 0; i < shards; i++) {
            String file = String.format("model-%05d-of-%05d.safetensors", i + 1, shards);
            RefSafetensors.write(dir.resolve(file), parts.get(i), Map.of("format", "pt"));
            for (String n : parts.get(i).keySet()) weightMap.put(n, file);
        }
        Map<String, Object> index = new TreeMap<>();
        index.put("metadata", Map.of("total_size", total));
        index.put("weight_map", weightMap);
        JSON.writeValue(dir.resolve("model.safetensors.index.json").toFile(), index);
    }
}
