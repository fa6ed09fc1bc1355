package org.mesascope.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.mesascope.core.MesascopeException;
import org.mesascope.core.cpu.Activation;
import org.mesascope.core.cpu.RopeScaling;
import org.mesascope.core.cpu.Rotary;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The shape and semantics of a checkpoint, read from Hugging Face's config.json. One record for every
 * architecture: each family ({@link Architecture}) reads its own field names (GPT-2's n_embd, NeoX's rotary_pct,
 * Llama's num_key_value_heads) into these common terms.
 *
 * @param family          the architecture that read it: its weight map and block recipe
 * @param recipe          what one block does (norm, residual, positions, q/k/v layout, MLP)
 * @param modelType       config.json's model_type as written (gpt2, gpt_neox, llama, mistral, qwen2, gptj)
 * @param rotaryDim       leading dimensions of each head that get the rotary embedding (0 for learned positions)
 * @param qkvBias         q/k/v projections have a bias (GPT-2, NeoX, Qwen2, Llama with attention_bias)
 * @param outBias         the attention output projection has a bias
 * @param unembedBias     the unembedding has a bias (GPT-J's lm_head)
 * @param slidingWindow   attention window in positions (Mistral, Qwen2 with use_sliding_window), 0 for none
 * @param windowFromLayer first layer the window applies to (Qwen2's max_window_layers; 0 for Mistral)
 * @param attnScaleByLayer GPT-2's scale_attn_by_inverse_layer_idx
 * @param vectors         non-null for models that read and write vectors instead of tokens (see {@link VectorIo})
 */
public record ModelConfig(Architecture family, BlockRecipe recipe, String modelType, int dModel, int nLayers, int nHeads,
                          int nKvHeads, int headDim, int dMlp, int vocabSize, int maxPositions, double normEps,
                          Activation activation, int rotaryDim, double ropeTheta, RopeScaling ropeScaling,
                          boolean tieEmbeddings, boolean qkvBias, boolean outBias, boolean mlpBias, boolean unembedBias,
                          int slidingWindow, int windowFromLayer, boolean attnScaleByLayer, VectorIo vectors) {

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

    public static ModelConfig read(Path dir) {
        Path file = dir.resolve("config.json");
        String json;
        try {
            json = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new MesascopeException("no config.json in " + dir);
        } catch (IOException e) {
            throw new MesascopeException("cannot read " + file + ": " + oneLine(e.getMessage()));
        }
        return fromJson(json, file);
    }

    /** The config in {@code json}, the text of a config.json; {@code file} names it in messages. */
    public static ModelConfig fromJson(String json, Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json);
        } catch (IOException e) {
            throw new MesascopeException("cannot read " + file + ": " + oneLine(e.getMessage()));
        }
        if (root == null || !root.isObject()) throw new MesascopeException(file + " is not a JSON object");
        return parse(new Fields(root, file));
    }

    static ModelConfig parse(Fields f) {
        String type = f.string("model_type");
        Architecture family = Architecture.forModelType(type);
        if (family == null) {
            throw new MesascopeException(f.file + ": unsupported model_type \"" + type + "\" (supported: "
                    + String.join(", ", Architecture.supportedModelTypes()) + ")");
        }
        ModelConfig c = family.config(f, type);
        c.validate(f.file);
        return c;
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

    /** Parameters as Hugging Face counts them: every stored tensor of the family's weight map once. */
    public long parameterCount() {
        return family.weightMap(this, family.bodyPrefix()).parameterCount();
    }

    /** The rotary embedding of this config's recipe, or null for learned positions. */
    public Rotary rotary() {
        if (!recipe.rotary()) return null;
        return new Rotary(rotaryDim, ropeTheta, ropeScaling, recipe.positions() == BlockRecipe.Positions.ROTARY_INTERLEAVED);
    }

    /** Whether attention and MLP both read the block's input (no hook_resid_mid). */
    public boolean parallelResidual() {
        return recipe.parallel();
    }

    static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ").trim();
    }

    /** Typed access to config.json with one-line errors that name the field. */
    public record Fields(JsonNode root, Path file) {
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

        /** d_model / heads for a family whose heads split the hidden size exactly (0 when heads is not positive). */
        int headDimOf(int dModel, int heads) {
            if (heads <= 0) return 0;
            if (dModel % heads != 0) {
                throw new MesascopeException(file + ": hidden size " + dModel + " is not a multiple of " + heads + " heads");
            }
            return dModel / heads;
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
