package org.mesascope.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.mesascope.core.MesascopeException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * The shape and semantics of a checkpoint, read from Hugging Face's config.json. One record for every
 * architecture: each family reads its own field names (GPT-2's n_embd, NeoX's rotary_pct, Llama's
 * num_key_value_heads) into these common terms.
 *
 * @param family          which architecture file runs it
 * @param modelType       config.json's model_type as written (gpt2, gpt_neox, llama, mistral, qwen2)
 * @param rotaryDim       leading dimensions of each head that get the rotary embedding (0 for GPT-2)
 * @param parallelResidual NeoX's use_parallel_residual: attention and MLP both read the block's input
 * @param qkvBias         q/k/v projections have a bias (GPT-2, NeoX, Qwen2, Llama with attention_bias)
 * @param outBias         the attention output projection has a bias
 * @param slidingWindow   attention window in positions (Mistral, Qwen2 with use_sliding_window), 0 for none
 * @param windowFromLayer first layer the window applies to (Qwen2's max_window_layers; 0 for Mistral)
 * @param attnScaleByLayer GPT-2's scale_attn_by_inverse_layer_idx
 * @param vectors         non-null for models that read and write vectors instead of tokens (see {@link VectorIo})
 */
public record ModelConfig(Family family, String modelType, int dModel, int nLayers, int nHeads, int nKvHeads,
                          int headDim, int dMlp, int vocabSize, int maxPositions, double normEps,
                          Activation activation, int rotaryDim, double ropeTheta, RopeScaling ropeScaling,
                          boolean parallelResidual, boolean tieEmbeddings, boolean qkvBias, boolean outBias,
                          boolean mlpBias, int slidingWindow, int windowFromLayer, boolean attnScaleByLayer,
                          VectorIo vectors) {

    public enum Family {GPT2, NEOX, LLAMA}

    public enum Activation {
        GELU_NEW, GELU, SILU, RELU;

        static Activation parse(String name) {
            return switch (name) {
                case "gelu_new", "gelu_pytorch_tanh", "gelu_fast" -> GELU_NEW;
                case "gelu" -> GELU;
                case "silu", "swish" -> SILU;
                case "relu" -> RELU;
                default -> throw new MesascopeException("config.json: unsupported activation \"" + name
                        + "\" (supported: gelu_new, gelu_pytorch_tanh, gelu, silu, relu)");
            };
        }
    }

    /** rope_scaling: "linear" divides positions by factor; "llama3" rescales low frequencies (Llama 3.1). */
    public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
                              int originalMaxPositions) {
    }

    /**
     * A Mesascope extension of the GPT-2 format for models whose inputs and outputs are vectors (the in-context
     * regression organism): config.json carries {@code "mesascope": {"input": "vectors", "input_dim": D,
     * "output_dim": K}}; the checkpoint has {@code mesascope.read_in.weight} [d_model, D] and {@code .bias} [d_model]
     * in place of the token embedding (learned positions stay), and {@code mesascope.read_out.weight} [K, d_model]
     * and {@code .bias} [K] in place of the unembedding, applied after the final LayerNorm. The "logits" hook then
     * holds the K outputs per position.
     */
    public record VectorIo(int inputDim, int outputDim) {
    }

    public static final List<String> SUPPORTED_TYPES = List.of("gpt2", "gpt_neox", "llama", "mistral", "qwen2");

    public static ModelConfig read(Path dir) {
        Path file = dir.resolve("config.json");
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new MesascopeException("no config.json in " + dir);
        } catch (IOException e) {
            throw new MesascopeException("cannot read " + file + ": " + oneLine(e.getMessage()));
        }
        if (root == null || !root.isObject()) throw new MesascopeException(file + " is not a JSON object");
        return parse(new Fields(root, file));
    }

    static ModelConfig parse(Fields f) {
        String type = f.string("model_type");
        ModelConfig c = switch (type) {
            case "gpt2" -> gpt2(f);
            case "gpt_neox" -> neox(f);
            case "llama", "mistral", "qwen2" -> llama(f, type);
            default -> throw new MesascopeException(f.file + ": unsupported model_type \"" + type + "\" (supported: "
                    + String.join(", ", SUPPORTED_TYPES) + ")");
        };
        c.validate(f.file);
        return c;
    }

    private static ModelConfig gpt2(Fields f) {
        int d = f.integer("n_embd");
        int heads = f.integer("n_head");
        int inner = f.has("n_inner") ? f.integer("n_inner") : 4 * d;
        VectorIo io = f.vectorIo();
        return new ModelConfig(Family.GPT2, "gpt2", d, f.integer("n_layer"), heads, heads, d / heads, inner,
                io != null ? io.outputDim() : f.integer("vocab_size"), f.integer("n_positions"), f.number("layer_norm_epsilon", 1e-5),
                Activation.parse(f.string("activation_function", "gelu_new")), 0, 0, null, false,
                f.bool("tie_word_embeddings", true), true, true, true, 0, 0, f.bool("scale_attn_by_inverse_layer_idx", false), io);
    }

    private static ModelConfig neox(Fields f) {
        int d = f.integer("hidden_size");
        int heads = f.integer("num_attention_heads");
        int headDim = d / heads;
        double pct = f.number("rotary_pct", f.number("partial_rotary_factor", 0.25));
        double theta = f.has("rope_theta") ? f.number("rope_theta", 0) : f.number("rotary_emb_base", 10000);
        boolean bias = f.bool("attention_bias", true);
        return new ModelConfig(Family.NEOX, "gpt_neox", d, f.integer("num_hidden_layers"), heads, heads, headDim,
                f.integer("intermediate_size"), f.integer("vocab_size"), f.integer("max_position_embeddings"),
                f.number("layer_norm_eps", 1e-5), Activation.parse(f.string("hidden_act", "gelu")),
                (int) (headDim * pct), theta, f.ropeScaling(), f.bool("use_parallel_residual", true),
                f.bool("tie_word_embeddings", false), bias, bias, true, 0, 0, false, f.noVectorIo("gpt_neox"));
    }

    private static ModelConfig llama(Fields f, String type) {
        int d = f.integer("hidden_size");
        int heads = f.integer("num_attention_heads");
        int kvHeads = f.has("num_key_value_heads") ? f.integer("num_key_value_heads") : heads;
        int headDim = f.has("head_dim") ? f.integer("head_dim") : d / heads;
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
        return new ModelConfig(Family.LLAMA, type, d, f.integer("num_hidden_layers"), heads, kvHeads, headDim,
                f.integer("intermediate_size"), f.integer("vocab_size"), f.integer("max_position_embeddings"),
                f.number("rms_norm_eps", 1e-6), Activation.parse(f.string("hidden_act", "silu")),
                headDim, f.number("rope_theta", 10000), f.ropeScaling(), false, f.bool("tie_word_embeddings", false),
                qwen || attnBias, attnBias, f.bool("mlp_bias", false), window, fromLayer, false, f.noVectorIo(type));
    }

    private void validate(Path file) {
        positive(file, "hidden size", dModel);
        positive(file, "layer count", nLayers);
        positive(file, "attention head count", nHeads);
        positive(file, "key/value head count", nKvHeads);
        positive(file, "head dimension", headDim);
        positive(file, "MLP width", dMlp);
        positive(file, "vocab size", vocabSize);
        positive(file, "max positions", maxPositions);
        if (nHeads % nKvHeads != 0) {
            throw new MesascopeException(file + ": " + nHeads + " attention heads are not a multiple of " + nKvHeads + " key/value heads");
        }
        if (family != Family.LLAMA && dModel % nHeads != 0) {
            throw new MesascopeException(file + ": hidden size " + dModel + " is not a multiple of " + nHeads + " heads");
        }
        if (rotaryDim % 2 != 0 || rotaryDim > headDim) {
            throw new MesascopeException(file + ": rotary dimension " + rotaryDim + " must be even and at most head_dim " + headDim);
        }
        if (slidingWindow < 0) throw new MesascopeException(file + ": sliding_window must not be negative");
        if (!(normEps > 0)) throw new MesascopeException(file + ": norm epsilon must be positive");
        if (rotaryDim > 0 && !(ropeTheta > 0)) throw new MesascopeException(file + ": rope_theta must be positive");
        if (ropeScaling != null && !(ropeScaling.factor() > 0)) {
            throw new MesascopeException(file + ": rope_scaling needs a positive \"factor\"");
        }
        if (ropeScaling != null && ropeScaling.type().equals("llama3")
                && !(ropeScaling.highFreqFactor() > ropeScaling.lowFreqFactor() && ropeScaling.lowFreqFactor() > 0)) {
            throw new MesascopeException(file + ": llama3 rope_scaling needs 0 < low_freq_factor < high_freq_factor");
        }
    }

    private static void positive(Path file, String what, int v) {
        if (v <= 0) throw new MesascopeException(file + ": " + what + " must be positive, got " + v);
    }

    /** The attention window of {@code layer} in positions, 0 for full causal attention. */
    public int windowAt(int layer) {
        return layer >= windowFromLayer ? slidingWindow : 0;
    }

    /** Query heads that share one key/value head (grouped-query attention). */
    public int groupSize() {
        return nHeads / nKvHeads;
    }

    public long parameterCount() {
        if (vectors != null) {
            long io = (long) dModel * (vectors.inputDim() + 1) + (long) vectors.outputDim() * (dModel + 1)
                    + (long) maxPositions * dModel;
            return nLayers * ((long) dModel * headDim * 4L * nHeads + 2L * dModel * dMlp) + io;
        }
        long attn = (long) dModel * headDim * (2L * nHeads + 2L * nKvHeads);
        long mlp = (long) dModel * dMlp * (family == Family.LLAMA ? 3 : 2);
        long emb = (long) vocabSize * dModel * (tieEmbeddings ? 1 : 2);
        if (family == Family.GPT2) emb += (long) maxPositions * dModel;
        return nLayers * (attn + mlp) + emb;
    }

    static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ").trim();
    }

    /** Typed access to config.json with one-line errors that name the field. */
    record Fields(JsonNode root, Path file) {
        boolean has(String name) {
            JsonNode n = root.get(name);
            return n != null && !n.isNull();
        }

        private JsonNode required(String name) {
            if (!has(name)) throw new MesascopeException(file + ": missing field \"" + name + "\"");
            return root.get(name);
        }

        String string(String name) {
            JsonNode n = required(name);
            if (!n.isTextual()) throw new MesascopeException(file + ": field \"" + name + "\" must be a string");
            return n.asText();
        }

        String string(String name, String dflt) {
            return has(name) ? string(name) : dflt;
        }

        int integer(String name) {
            JsonNode n = required(name);
            if (!n.isIntegralNumber() || !n.canConvertToInt()) {
                throw new MesascopeException(file + ": field \"" + name + "\" must be an integer, got " + n);
            }
            return n.asInt();
        }

        double number(String name, double dflt) {
            if (!has(name)) return dflt;
            JsonNode n = root.get(name);
            if (!n.isNumber()) throw new MesascopeException(file + ": field \"" + name + "\" must be a number, got " + n);
            return n.asDouble();
        }

        boolean bool(String name, boolean dflt) {
            if (!has(name)) return dflt;
            JsonNode n = root.get(name);
            if (!n.isBoolean()) throw new MesascopeException(file + ": field \"" + name + "\" must be true or false, got " + n);
            return n.asBoolean();
        }

        /** The "mesascope" object of a vector-input GPT-2, or null. */
        VectorIo vectorIo() {
            if (!has("mesascope")) return null;
            Fields m = new Fields(root.get("mesascope"), file);
            if (!m.root.isObject() || !"vectors".equals(m.string("input"))) {
                throw new MesascopeException(file + ": \"mesascope\" must be {\"input\": \"vectors\", \"input_dim\": D, \"output_dim\": K}");
            }
            int in = m.integer("input_dim"), out = m.integer("output_dim");
            if (in <= 0 || out <= 0) throw new MesascopeException(file + ": mesascope input_dim and output_dim must be positive");
            return new VectorIo(in, out);
        }

        VectorIo noVectorIo(String type) {
            if (has("mesascope")) throw new MesascopeException(file + ": vector inputs (\"mesascope\") are only supported for model_type gpt2, not " + type);
            return null;
        }

        RopeScaling ropeScaling() {
            if (!has("rope_scaling")) return null;
            JsonNode n = root.get("rope_scaling");
            Fields s = new Fields(n, file);
            String type = s.has("rope_type") ? s.string("rope_type") : s.string("type");
            return switch (type) {
                case "default" -> null;
                case "linear" -> new RopeScaling("linear", s.number("factor", Double.NaN), 0, 0, 0);
                case "llama3" -> new RopeScaling("llama3", s.number("factor", Double.NaN),
                        s.number("low_freq_factor", Double.NaN), s.number("high_freq_factor", Double.NaN),
                        s.integer("original_max_position_embeddings"));
                default -> throw new MesascopeException(file + ": rope_scaling type \"" + type
                        + "\" is not supported (supported: linear, llama3)");
            };
        }
    }
}
