package org.mesascope.core.reference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * An independent float64 reference of the Hugging Face transformers forward pass, for one sequence,
 * with every TransformerLens hook point of the design ("Hook point names").
 *
 * <p>Written from the semantics of transformers' modeling_gpt2.py, modeling_gpt_neox.py,
 * modeling_llama.py, modeling_mistral.py, modeling_qwen2.py, modeling_rope_utils.py and
 * activations.py; it shares no code with the engine. Plain loops, float64 everywhere, no caching,
 * readability over speed. Families:
 * <ul>
 *   <li>gpt2: learned positions, pre-LayerNorm blocks, Conv1D weights stored [in, out], fused c_attn
 *       whose output columns are [q | k | v], tied lm_head unless tie_word_embeddings is false;</li>
 *   <li>gpt_neox: rotary on the first int(head_dim·rotary_pct) dims of each head, fused
 *       query_key_value whose output rows are laid out [heads, 3, head_dim], parallel or sequential
 *       residual, untied embed_out unless tie_word_embeddings;</li>
 *   <li>llama, mistral, qwen2: RMSNorm, SwiGLU MLP, GQA, rotary on the whole head, rope scaling
 *       (linear, llama3), sliding-window attention where the config asks for it;</li>
 *   <li>gptj (modeling_gptj.py): one ln_1 whose output feeds attention and MLP alike, hidden = attn + mlp + x;
 *       separate q/k/v/out_proj without bias; rotary on the first rotary_dim dims of each head, base 10000, in the
 *       interleaved layout (rotate_every_two: dims 2i and 2i+1 turn together); gelu_new fc_in/fc_out with
 *       biases; an untied lm_head with a bias.</li>
 * </ul>
 */
public final class ReferenceModel {

    public enum Family { GPT2, GPT_NEOX, LLAMA, GPT_J }

    /**
     * What the forward pass needs from config.json, with HF's defaults filled in.
     * {@code slidingWindow[l]} is 0 for full causal attention in layer l, otherwise the window W
     * (key j is visible from query i iff i − W < j ≤ i, transformers' sliding_window_overlay).
     */
    public record Config(String modelType, Family family, int vocabSize, int hiddenSize, int numLayers,
                         int numHeads, int numKvHeads, int headDim, int intermediateSize,
                         int maxPositions, double normEps, String hiddenAct, boolean parallelResidual,
                         int rotaryDim, double ropeTheta, RefRope.Scaling ropeScaling,
                         boolean tieWordEmbeddings, int[] slidingWindow, double attentionScale,
                         boolean scaleAttnByInverseLayerIdx) {}

    /** All hooks of one forward pass, by TransformerLens name, in the order they were computed. */
    public static final class Trace {
        private final int[] tokens;
        private final Map<String, RefTensor> hooks = new LinkedHashMap<>();

        Trace(int[] tokens) {
            this.tokens = tokens.clone();
        }

        void put(String name, double[] data, int... shape) {
            hooks.put(name, new RefTensor(data, shape));
        }

        public int[] tokens() {
            return tokens.clone();
        }

        public boolean has(String name) {
            return hooks.containsKey(name);
        }

        public RefTensor get(String name) {
            RefTensor t = hooks.get(name);
            if (t == null) throw new IllegalArgumentException("no hook " + name + " in trace; have " + hooks.keySet());
            return t;
        }

        public List<String> names() {
            return List.copyOf(hooks.keySet());
        }

        public Map<String, RefTensor> asMap() {
            return Collections.unmodifiableMap(hooks);
        }

        public RefTensor logits() {
            return get("logits");
        }
    }

    // ------------------------------------------------------------------ weights

    /** A torch nn.Linear: weight [out, in] row-major (out-major), optional bias [out]. y = W x + b. */
    private record Linear(double[] w, double[] b, int out, int in) {
        double[] apply(double[] x, int off) {
            double[] y = new double[out];
            for (int o = 0; o < out; o++) {
                double s = b == null ? 0 : b[o];
                int row = o * in;
                for (int i = 0; i < in; i++) s += w[row + i] * x[off + i];
                y[o] = s;
            }
            return y;
        }
    }

    /** LayerNorm (bias != null, rms == false) or RMSNorm (bias == null, rms == true). */
    private record Norm(double[] weight, double[] bias, boolean rms) {}

    private static final class Block {
        Norm ln1, ln2;
        Linear q, k, v, o;
        Linear up, gate, down; // gate only for the Llama family
    }

    private final Config cfg;
    private final double[] embed;     // [vocab, d]
    private final double[] posEmbed;  // [maxPos, d], GPT-2 only
    private final Block[] blocks;
    private final Norm finalNorm;
    private final double[] unembedW;  // [vocab, d]
    private double[] unembedB;        // [vocab], GPT-J only
    private final double[] invFreq;   // rotary inverse frequencies, length rotaryDim/2

    private ReferenceModel(Config cfg, double[] embed, double[] posEmbed, Block[] blocks, Norm finalNorm,
                           double[] unembedW) {
        this.cfg = cfg;
        this.embed = embed;
        this.posEmbed = posEmbed;
        this.blocks = blocks;
        this.finalNorm = finalNorm;
        this.unembedW = unembedW;
        this.invFreq = cfg.rotaryDim() > 0
                ? RefRope.inverseFrequencies(cfg.rotaryDim(), cfg.ropeTheta(), cfg.ropeScaling())
                : new double[0];
    }

    public Config config() {
        return cfg;
    }

    // ------------------------------------------------------------------ loading

    public static ReferenceModel load(Path hfDir) throws IOException {
        JsonNode json = new ObjectMapper().readTree(hfDir.resolve("config.json").toFile());
        Config cfg = parseConfig(json);
        Tensors t = new Tensors(RefSafetensors.Checkpoint.open(hfDir));
        ReferenceModel m = switch (cfg.family()) {
            case GPT2 -> loadGpt2(cfg, t);
            case GPT_NEOX -> loadNeox(cfg, t, json);
            case LLAMA -> loadLlama(cfg, t, json);
            case GPT_J -> loadGptj(cfg, t);
        };
        t.checkAllUsed();
        return m;
    }

    static Config parseConfig(JsonNode j) {
        String type = j.path("model_type").asText("");
        return switch (type) {
            case "gpt2" -> {
                int d = intOf(j, "n_embd", "hidden_size");
                int heads = intOf(j, "n_head", "num_attention_heads");
                int inner = j.hasNonNull("n_inner") ? j.get("n_inner").asInt() : 4 * d;
                int hd = d / heads;
                // scale_attn_weights (default true): scores / sqrt(head_dim);
                // scale_attn_by_inverse_layer_idx (default false): additionally / (layer_idx + 1).
                double scale = j.path("scale_attn_weights").asBoolean(true) ? 1.0 / Math.sqrt(hd) : 1.0;
                int layers = intOf(j, "n_layer", "num_hidden_layers");
                yield new Config(type, Family.GPT2, j.get("vocab_size").asInt(), d, layers, heads, heads, hd,
                        inner, intOf(j, "n_positions", "max_position_embeddings"),
                        j.path("layer_norm_epsilon").asDouble(1e-5), j.path("activation_function").asText("gelu_new"),
                        false, 0, 0, RefRope.Scaling.NONE, j.path("tie_word_embeddings").asBoolean(true),
                        new int[layers], scale, j.path("scale_attn_by_inverse_layer_idx").asBoolean(false));
            }
            case "gpt_neox" -> {
                int d = j.get("hidden_size").asInt();
                int heads = j.get("num_attention_heads").asInt();
                int hd = d / heads;
                JsonNode rp = j.path("rope_parameters"); // transformers 5 spelling
                double pct = j.hasNonNull("rotary_pct") ? j.get("rotary_pct").asDouble()
                        : j.hasNonNull("partial_rotary_factor") ? j.get("partial_rotary_factor").asDouble()
                        : rp.path("partial_rotary_factor").asDouble(0.25);
                double theta = j.hasNonNull("rotary_emb_base") ? j.get("rotary_emb_base").asDouble()
                        : j.hasNonNull("rope_theta") ? j.get("rope_theta").asDouble()
                        : rp.path("rope_theta").asDouble(10000);
                int layers = j.get("num_hidden_layers").asInt();
                yield new Config(type, Family.GPT_NEOX, j.get("vocab_size").asInt(), d, layers, heads, heads, hd,
                        j.get("intermediate_size").asInt(), j.path("max_position_embeddings").asInt(2048),
                        j.path("layer_norm_eps").asDouble(1e-5), j.path("hidden_act").asText("gelu"),
                        j.path("use_parallel_residual").asBoolean(true), (int) (hd * pct), theta,
                        RefRope.Scaling.parse(ropeScalingNode(j)), j.path("tie_word_embeddings").asBoolean(false),
                        new int[layers], 1.0 / Math.sqrt(hd), false);
            }
            case "llama", "mistral", "qwen2" -> {
                int d = j.get("hidden_size").asInt();
                int heads = j.get("num_attention_heads").asInt();
                int kv = j.hasNonNull("num_key_value_heads") ? j.get("num_key_value_heads").asInt() : heads;
                int hd = j.hasNonNull("head_dim") ? j.get("head_dim").asInt() : d / heads;
                if (heads % kv != 0) throw new IllegalArgumentException("heads " + heads + " not a multiple of kv heads " + kv);
                JsonNode rp = j.path("rope_parameters");
                double partial = j.hasNonNull("partial_rotary_factor") ? j.get("partial_rotary_factor").asDouble()
                        : rp.path("partial_rotary_factor").asDouble(1.0);
                if (partial != 1.0) {
                    throw new UnsupportedOperationException(type + " with partial_rotary_factor " + partial);
                }
                double theta = j.hasNonNull("rope_theta") ? j.get("rope_theta").asDouble()
                        : rp.path("rope_theta").asDouble(10000);
                int layers = j.get("num_hidden_layers").asInt();
                yield new Config(type, Family.LLAMA, j.get("vocab_size").asInt(), d, layers, heads, kv, hd,
                        j.get("intermediate_size").asInt(), j.path("max_position_embeddings").asInt(2048),
                        j.path("rms_norm_eps").asDouble(1e-6), j.path("hidden_act").asText("silu"), false, hd,
                        theta, RefRope.Scaling.parse(ropeScalingNode(j)),
                        j.path("tie_word_embeddings").asBoolean(false), slidingWindows(type, j, layers),
                        1.0 / Math.sqrt(hd), false);
            }
            case "gptj" -> {
                int d = j.get("n_embd").asInt();
                int heads = j.get("n_head").asInt();
                int hd = d / heads;
                int inner = j.hasNonNull("n_inner") ? j.get("n_inner").asInt() : 4 * d;
                int layers = j.get("n_layer").asInt();
                // GPTJConfig: rotary_dim defaults to 64; the rotary base is fixed at 10000 (create_sinusoidal_positions)
                int rotaryDim = j.path("rotary_dim").asInt(64);
                yield new Config(type, Family.GPT_J, j.get("vocab_size").asInt(), d, layers, heads, heads, hd, inner,
                        j.get("n_positions").asInt(), j.path("layer_norm_epsilon").asDouble(1e-5),
                        j.path("activation_function").asText("gelu_new"), true, rotaryDim, 10000,
                        RefRope.Scaling.NONE, j.path("tie_word_embeddings").asBoolean(false), new int[layers],
                        1.0 / Math.sqrt(hd), false);
            }
            default -> throw new UnsupportedOperationException("the reference does not know model_type '" + type + "'");
        };
    }

    /** rope_scaling (transformers 4) or rope_parameters (transformers 5); either may be absent or null. */
    private static JsonNode ropeScalingNode(JsonNode j) {
        if (j.hasNonNull("rope_scaling")) return j.get("rope_scaling");
        return j.get("rope_parameters");
    }

    /**
     * Per-layer sliding window. Mistral: sliding_window (null = none) on every layer. Qwen2: only when
     * use_sliding_window is true, on the layers that layer_types marks "sliding_attention", or, in
     * configs without layer_types, on layers i >= max_window_layers (Qwen2Config.__post_init__).
     * Llama: none.
     */
    private static int[] slidingWindows(String type, JsonNode j, int layers) {
        int[] w = new int[layers];
        switch (type) {
            case "mistral" -> {
                if (j.hasNonNull("sliding_window")) Arrays.fill(w, j.get("sliding_window").asInt());
            }
            case "qwen2" -> {
                if (j.path("use_sliding_window").asBoolean(false) && j.hasNonNull("sliding_window")) {
                    int window = j.get("sliding_window").asInt();
                    JsonNode types = j.get("layer_types");
                    for (int l = 0; l < layers; l++) {
                        boolean sliding = types != null && types.isArray()
                                ? types.get(l).asText().equals("sliding_attention")
                                : l >= j.path("max_window_layers").asInt(28);
                        if (sliding) w[l] = window;
                    }
                }
            }
            default -> { }
        }
        return w;
    }

    private static int intOf(JsonNode j, String name, String alternative) {
        if (j.hasNonNull(name)) return j.get(name).asInt();
        if (j.hasNonNull(alternative)) return j.get(alternative).asInt();
        throw new IllegalArgumentException("config.json has neither " + name + " nor " + alternative);
    }

    /** Reads tensors by name with shape checks and remembers which ones were used. */
    private static final class Tensors {
        final RefSafetensors.Checkpoint ckpt;
        final Set<String> used = new HashSet<>();
        final List<String> ignoredSuffixes = new ArrayList<>();
        final Set<String> ignoredNames = new HashSet<>();

        Tensors(RefSafetensors.Checkpoint ckpt) {
            this.ckpt = ckpt;
        }

        boolean has(String name) {
            return ckpt.has(name);
        }

        double[] take(String name, int... shape) {
            try {
                RefTensor t = ckpt.tensor(name);
                if (!t.sameShape(shape)) {
                    throw new IllegalArgumentException(name + " has shape " + Arrays.toString(t.shape())
                            + ", expected " + Arrays.toString(shape));
                }
                used.add(name);
                return t.data();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Every tensor in the files must be a weight the model uses or a known buffer. */
        void checkAllUsed() {
            Set<String> unexpected = new TreeSet<>();
            for (String n : ckpt.names()) {
                if (used.contains(n) || ignoredNames.contains(n)) continue;
                if (ignoredSuffixes.stream().anyMatch(n::endsWith)) continue;
                unexpected.add(n);
            }
            if (!unexpected.isEmpty()) throw new IllegalArgumentException("tensors the reference does not use: " + unexpected);
        }
    }

    private static Norm layerNorm(Tensors t, String prefix, int d) {
        return new Norm(t.take(prefix + ".weight", d), t.take(prefix + ".bias", d), false);
    }

    private static Norm rmsNorm(Tensors t, String prefix, int d) {
        return new Norm(t.take(prefix + ".weight", d), null, true);
    }

    private static Linear linear(Tensors t, String prefix, int out, int in, boolean bias) {
        return new Linear(t.take(prefix + ".weight", out, in), bias ? t.take(prefix + ".bias", out) : null, out, in);
    }

    /** GPT-2's Conv1D stores weight [in, out] (y = x @ W + b); transpose it into Linear's [out, in]. */
    private static Linear conv1d(Tensors t, String prefix, int in, int out) {
        double[] w = t.take(prefix + ".weight", in, out);
        return new Linear(transpose(w, in, out), t.take(prefix + ".bias", out), out, in);
    }

    private static double[] transpose(double[] a, int rows, int cols) {
        double[] out = new double[a.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
        }
        return out;
    }

    /** Rows [from, from+count) of a Linear, as a Linear of its own. */
    private static Linear rows(Linear l, int from, int count) {
        double[] w = Arrays.copyOfRange(l.w(), from * l.in(), (from + count) * l.in());
        double[] b = l.b() == null ? null : Arrays.copyOfRange(l.b(), from, from + count);
        return new Linear(w, b, count, l.in());
    }

    private static ReferenceModel loadGpt2(Config c, Tensors t) {
        int d = c.hiddenSize();
        // GPT2LMHeadModel checkpoints prefix everything with "transformer."; the original openai ones do not.
        String p = t.has("transformer.wte.weight") ? "transformer." : "";
        double[] wte = t.take(p + "wte.weight", c.vocabSize(), d);
        double[] wpe = t.take(p + "wpe.weight", c.maxPositions(), d);
        Block[] blocks = new Block[c.numLayers()];
        for (int l = 0; l < blocks.length; l++) {
            String b = p + "h." + l + ".";
            Block blk = new Block();
            blk.ln1 = layerNorm(t, b + "ln_1", d);
            // c_attn(x).split(embed_dim, dim=2): output columns [0,d) are q, [d,2d) k, [2d,3d) v; inside
            // each, head h owns the contiguous block [h*head_dim, (h+1)*head_dim).
            Linear cAttn = conv1d(t, b + "attn.c_attn", d, 3 * d);
            blk.q = rows(cAttn, 0, d);
            blk.k = rows(cAttn, d, d);
            blk.v = rows(cAttn, 2 * d, d);
            blk.o = conv1d(t, b + "attn.c_proj", d, d);
            blk.ln2 = layerNorm(t, b + "ln_2", d);
            blk.up = conv1d(t, b + "mlp.c_fc", d, c.intermediateSize());
            blk.down = conv1d(t, b + "mlp.c_proj", c.intermediateSize(), d);
            blocks[l] = blk;
        }
        Norm lnf = layerNorm(t, p + "ln_f", d);
        // Non-persistent causal-mask buffers that old checkpoints still carry.
        t.ignoredSuffixes.add(".attn.bias");
        t.ignoredSuffixes.add(".attn.masked_bias");
        double[] unembed = unembedding(c, t, wte, "lm_head.weight");
        return new ReferenceModel(c, wte, wpe, blocks, lnf, unembed);
    }

    private static ReferenceModel loadNeox(Config c, Tensors t, JsonNode json) {
        int d = c.hiddenSize();
        int hd = c.headDim();
        int heads = c.numHeads();
        String p = "gpt_neox.";
        // attention_bias (default true) gives query_key_value and dense their biases; the MLP always has them.
        boolean attnBias = json.path("attention_bias").asBoolean(true);
        double[] embedIn = t.take(p + "embed_in.weight", c.vocabSize(), d);
        Block[] blocks = new Block[c.numLayers()];
        for (int l = 0; l < blocks.length; l++) {
            String b = p + "layers." + l + ".";
            Block blk = new Block();
            blk.ln1 = layerNorm(t, b + "input_layernorm", d);
            blk.ln2 = layerNorm(t, b + "post_attention_layernorm", d);
            Linear qkv = linear(t, b + "attention.query_key_value", 3 * d, d, attnBias);
            // qkv.view(..., heads, 3 * head_size): output row h*3*hd + part*hd + j is (part 0 q, 1 k, 2 v)
            // of head h, dimension j. Regroup into plain q, k, v projections with heads contiguous.
            double[][] w = new double[3][d * d];
            double[][] bias = attnBias ? new double[3][d] : null;
            for (int h = 0; h < heads; h++) {
                for (int part = 0; part < 3; part++) {
                    for (int j = 0; j < hd; j++) {
                        int src = h * 3 * hd + part * hd + j;
                        int dst = h * hd + j;
                        System.arraycopy(qkv.w(), src * d, w[part], dst * d, d);
                        if (attnBias) bias[part][dst] = qkv.b()[src];
                    }
                }
            }
            blk.q = new Linear(w[0], attnBias ? bias[0] : null, d, d);
            blk.k = new Linear(w[1], attnBias ? bias[1] : null, d, d);
            blk.v = new Linear(w[2], attnBias ? bias[2] : null, d, d);
            blk.o = linear(t, b + "attention.dense", d, d, attnBias);
            blk.up = linear(t, b + "mlp.dense_h_to_4h", c.intermediateSize(), d, true);
            blk.down = linear(t, b + "mlp.dense_4h_to_h", d, c.intermediateSize(), true);
            blocks[l] = blk;
        }
        Norm fin = layerNorm(t, p + "final_layer_norm", d);
        // Buffers some Pythia checkpoints carry (causal mask, rotary cache): not weights.
        t.ignoredSuffixes.add(".attention.bias");
        t.ignoredSuffixes.add(".attention.masked_bias");
        t.ignoredSuffixes.add(".attention.rotary_emb.inv_freq");
        double[] unembed = unembedding(c, t, embedIn, "embed_out.weight");
        return new ReferenceModel(c, embedIn, null, blocks, fin, unembed);
    }

    private static ReferenceModel loadLlama(Config c, Tensors t, JsonNode json) {
        int d = c.hiddenSize();
        int hd = c.headDim();
        String type = c.modelType();
        // Which projections have a bias: Llama follows attention_bias (q,k,v,o) and mlp_bias
        // (gate, up, down); Qwen2 always has q/k/v bias and no o_proj bias; Mistral has none.
        boolean qkvBias = switch (type) {
            case "qwen2" -> true;
            case "llama" -> json.path("attention_bias").asBoolean(false);
            default -> false;
        };
        boolean oBias = type.equals("llama") && json.path("attention_bias").asBoolean(false);
        boolean mlpBias = type.equals("llama") && json.path("mlp_bias").asBoolean(false);
        String p = "model.";
        double[] embedTokens = t.take(p + "embed_tokens.weight", c.vocabSize(), d);
        Block[] blocks = new Block[c.numLayers()];
        for (int l = 0; l < blocks.length; l++) {
            String b = p + "layers." + l + ".";
            Block blk = new Block();
            blk.ln1 = rmsNorm(t, b + "input_layernorm", d);
            blk.q = linear(t, b + "self_attn.q_proj", c.numHeads() * hd, d, qkvBias);
            blk.k = linear(t, b + "self_attn.k_proj", c.numKvHeads() * hd, d, qkvBias);
            blk.v = linear(t, b + "self_attn.v_proj", c.numKvHeads() * hd, d, qkvBias);
            blk.o = linear(t, b + "self_attn.o_proj", d, c.numHeads() * hd, oBias);
            blk.ln2 = rmsNorm(t, b + "post_attention_layernorm", d);
            blk.gate = linear(t, b + "mlp.gate_proj", c.intermediateSize(), d, mlpBias);
            blk.up = linear(t, b + "mlp.up_proj", c.intermediateSize(), d, mlpBias);
            blk.down = linear(t, b + "mlp.down_proj", d, c.intermediateSize(), mlpBias);
            blocks[l] = blk;
        }
        Norm fin = rmsNorm(t, p + "norm", d);
        t.ignoredSuffixes.add(".self_attn.rotary_emb.inv_freq");
        double[] unembed = unembedding(c, t, embedTokens, "lm_head.weight");
        return new ReferenceModel(c, embedTokens, null, blocks, fin, unembed);
    }

    private static ReferenceModel loadGptj(Config c, Tensors t) {
        int d = c.hiddenSize();
        String p = "transformer.";
        double[] wte = t.take(p + "wte.weight", c.vocabSize(), d);
        Block[] blocks = new Block[c.numLayers()];
        for (int l = 0; l < blocks.length; l++) {
            String b = p + "h." + l + ".";
            Block blk = new Block();
            blk.ln1 = layerNorm(t, b + "ln_1", d); // the only norm: attention and MLP both read its output
            blk.q = linear(t, b + "attn.q_proj", d, d, false);
            blk.k = linear(t, b + "attn.k_proj", d, d, false);
            blk.v = linear(t, b + "attn.v_proj", d, d, false);
            blk.o = linear(t, b + "attn.out_proj", d, d, false);
            blk.up = linear(t, b + "mlp.fc_in", c.intermediateSize(), d, true);
            blk.down = linear(t, b + "mlp.fc_out", d, c.intermediateSize(), true);
            blocks[l] = blk;
        }
        Norm lnf = layerNorm(t, p + "ln_f", d);
        // causal-mask buffers and the sin/cos table some checkpoints carry
        t.ignoredSuffixes.add(".attn.bias");
        t.ignoredSuffixes.add(".attn.masked_bias");
        t.ignoredSuffixes.add(".attn.embed_positions");
        double[] unembed = unembedding(c, t, wte, "lm_head.weight");
        ReferenceModel m = new ReferenceModel(c, wte, null, blocks, lnf, unembed);
        m.unembedB = t.take("lm_head.bias", c.vocabSize());
        return m;
    }

    /**
     * With tie_word_embeddings, HF's tie_weights() makes the output layer share the input embedding,
     * so a stored copy of the output weight (if any) is not what runs; otherwise it must be stored.
     */
    private static double[] unembedding(Config c, Tensors t, double[] inputEmbedding, String name) {
        if (c.tieWordEmbeddings()) {
            t.ignoredNames.add(name);
            return inputEmbedding;
        }
        return t.take(name, c.vocabSize(), c.hiddenSize());
    }

    // ------------------------------------------------------------------ forward

    /**
     * Changes a hook's value in place before the pass goes on from it: the reference's own intervention point, for
     * checking patching. {@code value} is the hook's tensor for the one sequence, row-major in the hook's shape
     * ({@code attn.hook_pattern} [heads, T, T], {@code attn.hook_z} [T, heads, head_dim], the rest [T, d] or [T, vocab]);
     * the trace records the edited value.
     */
    @FunctionalInterface
    public interface Edit {
        void apply(String hook, double[] value);

        Edit NONE = (hook, value) -> { };
    }

    /** Every hook for one sequence. */
    public Trace run(int[] tokens) {
        return run(tokens, Edit.NONE);
    }

    /** Every hook for one sequence, each hook's value passed through {@code edit} before the pass uses it. */
    public Trace run(int[] tokens, Edit edit) {
        int T = checkTokens(tokens);
        int d = cfg.hiddenSize();
        Trace tr = new Trace(tokens);
        double[] tok = new double[T * d];
        for (int t = 0; t < T; t++) System.arraycopy(embed, tokens[t] * d, tok, t * d, d);
        hook(tr, edit, "hook_embed", tok, T, d);
        double[] resid = tok;
        if (cfg.family() == Family.GPT2) {
            double[] pos = new double[T * d];
            System.arraycopy(posEmbed, 0, pos, 0, T * d); // rows 0..T-1: position ids 0..T-1
            hook(tr, edit, "hook_pos_embed", pos, T, d);
            resid = new double[T * d];
            for (int i = 0; i < resid.length; i++) resid[i] = tok[i] + pos[i];
        }
        forward(0, resid, T, tr, edit);
        return tr;
    }

    /** Applies the edit to {@code value} (in place), records a copy under {@code name}, returns {@code value}. */
    private static double[] hook(Trace tr, Edit edit, String name, double[] value, int... shape) {
        edit.apply(name, value);
        tr.put(name, value.clone(), shape);
        return value;
    }

    /**
     * Run from {@code blocks.{layer}.hook_resid_pre} replaced by {@code residPre} [T*d]; {@code tokens}
     * only give the length (and positions 0..T-1). {@code layer == numLayers} runs just the final norm
     * and unembedding.
     */
    public Trace runFrom(int layer, double[] residPre, int[] tokens) {
        int T = checkTokens(tokens);
        if (layer < 0 || layer > cfg.numLayers()) throw new IllegalArgumentException("layer " + layer);
        if (residPre.length != T * cfg.hiddenSize()) {
            throw new IllegalArgumentException("residual has " + residPre.length + " values, expected T*d = "
                    + T * cfg.hiddenSize());
        }
        Trace tr = new Trace(tokens);
        forward(layer, residPre.clone(), T, tr, Edit.NONE);
        return tr;
    }

    /** Logit lens on one residual vector [d]: the model's final norm, then its unembedding. */
    public double[] unembed(double[] resid) {
        if (resid.length != cfg.hiddenSize()) throw new IllegalArgumentException("expected a vector of d = " + cfg.hiddenSize());
        return logitsOf(norm(finalNorm, resid, 1));
    }

    /** Greedy continuation: the {@code n} new token ids (ties go to the lowest id, as torch.argmax). */
    public int[] greedy(int[] prompt, int n) {
        int[] seq = prompt.clone();
        int[] out = new int[n];
        for (int s = 0; s < n; s++) {
            RefTensor logits = run(seq).logits();
            double[] last = logits.row(seq.length - 1);
            int best = 0;
            for (int v = 1; v < last.length; v++) if (last[v] > last[best]) best = v;
            out[s] = best;
            seq = Arrays.copyOf(seq, seq.length + 1);
            seq[seq.length - 1] = best;
        }
        return out;
    }

    private int checkTokens(int[] tokens) {
        if (tokens.length == 0) throw new IllegalArgumentException("empty sequence");
        for (int t : tokens) {
            if (t < 0 || t >= cfg.vocabSize()) throw new IllegalArgumentException("token " + t + " outside vocab " + cfg.vocabSize());
        }
        if (cfg.family() == Family.GPT2 && tokens.length > cfg.maxPositions()) {
            throw new IllegalArgumentException("GPT-2 has only " + cfg.maxPositions() + " learned positions");
        }
        return tokens.length;
    }

    private void forward(int startLayer, double[] resid, int T, Trace tr, Edit edit) {
        int d = cfg.hiddenSize();
        int H = cfg.numHeads();
        int hd = cfg.headDim();
        for (int l = startLayer; l < cfg.numLayers(); l++) {
            Block blk = blocks[l];
            String pre = "blocks." + l + ".";
            resid = hook(tr, edit, pre + "hook_resid_pre", resid.clone(), T, d);

            double[][][] qkv = projectQkv(blk, norm(blk.ln1, resid, T), T);
            double[] pattern = hook(tr, edit, pre + "attn.hook_pattern", pattern(l, qkv[0], qkv[1], T), H, T, T);
            double[] z = hook(tr, edit, pre + "attn.hook_z", mixValues(pattern, qkv[2], T), T, H, hd);
            double[] attnOut = hook(tr, edit, pre + "hook_attn_out", project(blk.o, z, T), T, d);

            double[] post = new double[T * d];
            if (cfg.parallelResidual()) {
                // GPT-NeoX use_parallel_residual: x + attn(ln1(x)) + mlp(ln2(x)); both norms read x.
                // GPT-J: x + attn(ln1(x)) + mlp(ln1(x)), the one norm's output read twice.
                Norm mlpNorm = blk.ln2 != null ? blk.ln2 : blk.ln1;
                double[] mlpOut = hook(tr, edit, pre + "hook_mlp_out", mlp(blk, norm(mlpNorm, resid, T), T), T, d);
                for (int i = 0; i < post.length; i++) post[i] = resid[i] + attnOut[i] + mlpOut[i];
            } else {
                double[] mid = new double[T * d];
                for (int i = 0; i < mid.length; i++) mid[i] = resid[i] + attnOut[i];
                mid = hook(tr, edit, pre + "hook_resid_mid", mid, T, d);
                double[] mlpOut = hook(tr, edit, pre + "hook_mlp_out", mlp(blk, norm(blk.ln2, mid, T), T), T, d);
                for (int i = 0; i < post.length; i++) post[i] = mid[i] + mlpOut[i];
            }
            resid = hook(tr, edit, pre + "hook_resid_post", post, T, d);
        }
        double[] normalized = hook(tr, edit, "ln_final.hook_normalized", norm(finalNorm, resid, T), T, d);
        hook(tr, edit, "logits", logitsOf(normalized), T, cfg.vocabSize());
    }

    /** [rows*d] → [rows*vocab] with the unembedding matrix, plus its bias where there is one (GPT-J). */
    private double[] logitsOf(double[] normalized) {
        int d = cfg.hiddenSize();
        int V = cfg.vocabSize();
        int rows = normalized.length / d;
        double[] out = new double[rows * V];
        for (int t = 0; t < rows; t++) {
            for (int v = 0; v < V; v++) {
                double s = unembedB == null ? 0 : unembedB[v];
                for (int i = 0; i < d; i++) s += unembedW[v * d + i] * normalized[t * d + i];
                out[t * V + v] = s;
            }
        }
        return out;
    }

    /** q, k, v per position ({@code [3][T][]}): q [H*hd], k and v [KV*hd], rotary applied to q and k. */
    private double[][][] projectQkv(Block blk, double[] xn, int T) {
        int d = cfg.hiddenSize();
        int H = cfg.numHeads();
        int KV = cfg.numKvHeads();
        int hd = cfg.headDim();
        double[][] q = new double[T][];
        double[][] k = new double[T][];
        double[][] v = new double[T][];
        for (int t = 0; t < T; t++) {
            q[t] = blk.q.apply(xn, t * d); // [H*hd], head h at [h*hd, (h+1)*hd)
            k[t] = blk.k.apply(xn, t * d); // [KV*hd]
            v[t] = blk.v.apply(xn, t * d);
            if (cfg.rotaryDim() > 0) {
                // position ids are 0..T-1; only the first rotaryDim dims of each head rotate.
                boolean everyTwo = cfg.family() == Family.GPT_J;
                for (int h = 0; h < H; h++) {
                    if (everyTwo) RefRope.rotateEveryTwo(q[t], h * hd, cfg.rotaryDim(), t, invFreq);
                    else RefRope.rotate(q[t], h * hd, cfg.rotaryDim(), t, invFreq);
                }
                for (int h = 0; h < KV; h++) {
                    if (everyTwo) RefRope.rotateEveryTwo(k[t], h * hd, cfg.rotaryDim(), t, invFreq);
                    else RefRope.rotate(k[t], h * hd, cfg.rotaryDim(), t, invFreq);
                }
            }
        }
        return new double[][][] {q, k, v};
    }

    /** Causal softmax probabilities [heads, T, T] of one layer, exact zeros where masked. */
    private double[] pattern(int layer, double[][] q, double[][] k, int T) {
        int H = cfg.numHeads();
        int hd = cfg.headDim();
        double scale = cfg.attentionScale();
        if (cfg.scaleAttnByInverseLayerIdx()) scale /= (layer + 1);
        int window = cfg.slidingWindow()[layer];
        // repeat_kv repeats each kv head n_rep times consecutively: query head h reads kv head h / n_rep.
        int nRep = H / cfg.numKvHeads();
        double[] pattern = new double[H * T * T];
        for (int h = 0; h < H; h++) {
            int kvh = h / nRep;
            for (int i = 0; i < T; i++) {
                double[] scores = new double[i + 1];
                boolean[] visible = new boolean[i + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j <= i; j++) {
                    visible[j] = window == 0 || j > i - window;
                    if (!visible[j]) continue;
                    double s = 0;
                    for (int e = 0; e < hd; e++) s += q[i][h * hd + e] * k[j][kvh * hd + e];
                    scores[j] = s * scale;
                    max = Math.max(max, scores[j]);
                }
                double sum = 0;
                for (int j = 0; j <= i; j++) {
                    scores[j] = visible[j] ? Math.exp(scores[j] - max) : 0;
                    sum += scores[j];
                }
                for (int j = 0; j <= i; j++) pattern[(h * T + i) * T + j] = scores[j] / sum;
            }
        }
        return pattern;
    }

    /**
     * z [T, heads, head_dim]: each head's pattern-weighted sum of values, heads concatenated per position (as
     * transformers' transpose + reshape before o_proj). Every key the pattern weighs counts, so an edited pattern
     * takes effect as given.
     */
    private double[] mixValues(double[] pattern, double[][] v, int T) {
        int H = cfg.numHeads();
        int hd = cfg.headDim();
        int nRep = H / cfg.numKvHeads();
        double[] z = new double[T * H * hd];
        for (int h = 0; h < H; h++) {
            int kvh = h / nRep;
            for (int i = 0; i < T; i++) {
                for (int j = 0; j < T; j++) {
                    double p = pattern[(h * T + i) * T + j];
                    if (p == 0) continue;
                    for (int e = 0; e < hd; e++) z[(i * H + h) * hd + e] += p * v[j][kvh * hd + e];
                }
            }
        }
        return z;
    }

    /** The attention output projection (o_proj / dense / c_proj, bias included) applied per position to z. */
    private double[] project(Linear o, double[] z, int T) {
        int d = cfg.hiddenSize();
        double[] out = new double[T * d];
        for (int t = 0; t < T; t++) System.arraycopy(o.apply(z, t * o.in()), 0, out, t * d, d);
        return out;
    }

    /** GPT-2 / NeoX: down(act(up(x))). Llama family: down(act(gate(x)) * up(x)). */
    private double[] mlp(Block blk, double[] xn, int T) {
        int d = cfg.hiddenSize();
        int inner = cfg.intermediateSize();
        double[] out = new double[T * d];
        for (int t = 0; t < T; t++) {
            double[] up = blk.up.apply(xn, t * d);
            double[] h = new double[inner];
            if (blk.gate != null) {
                double[] gate = blk.gate.apply(xn, t * d);
                for (int i = 0; i < inner; i++) h[i] = activation(cfg.hiddenAct(), gate[i]) * up[i];
            } else {
                for (int i = 0; i < inner; i++) h[i] = activation(cfg.hiddenAct(), up[i]);
            }
            System.arraycopy(blk.down.apply(h, 0), 0, out, t * d, d);
        }
        return out;
    }

    /**
     * LayerNorm: (x − mean) / sqrt(var + eps) · w + b with the biased (population) variance.
     * RMSNorm (LlamaRMSNorm): x / sqrt(mean(x²) + eps) · w — the weight multiplies after normalizing.
     */
    private double[] norm(Norm n, double[] x, int rows) {
        int d = cfg.hiddenSize();
        double eps = cfg.normEps();
        double[] out = new double[rows * d];
        for (int t = 0; t < rows; t++) {
            int off = t * d;
            if (n.rms()) {
                double ms = 0;
                for (int i = 0; i < d; i++) ms += x[off + i] * x[off + i];
                double inv = 1.0 / Math.sqrt(ms / d + eps);
                for (int i = 0; i < d; i++) out[off + i] = n.weight()[i] * (x[off + i] * inv);
            } else {
                double mean = 0;
                for (int i = 0; i < d; i++) mean += x[off + i];
                mean /= d;
                double var = 0;
                for (int i = 0; i < d; i++) var += (x[off + i] - mean) * (x[off + i] - mean);
                var /= d;
                double inv = 1.0 / Math.sqrt(var + eps);
                for (int i = 0; i < d; i++) out[off + i] = (x[off + i] - mean) * inv * n.weight()[i] + n.bias()[i];
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ activations (transformers' ACT2FN)

    /** transformers ACT2FN by name, in float64. */
    public static double activation(String name, double x) {
        return switch (name) {
            case "gelu" -> geluErf(x);                                          // GELUActivation: exact
            case "gelu_new", "gelu_pytorch_tanh", "gelu_fast" -> geluTanh(x);   // tanh approximation
            case "quick_gelu" -> x / (1 + Math.exp(-1.702 * x));
            case "silu", "swish" -> x / (1 + Math.exp(-x));
            case "relu" -> Math.max(0, x);
            default -> throw new UnsupportedOperationException("activation " + name);
        };
    }

    /** 0.5·x·(1 + erf(x/√2)). */
    public static double geluErf(double x) {
        return 0.5 * x * (1 + erf(x / Math.sqrt(2)));
    }

    /** NewGELUActivation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
    public static double geluTanh(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    /**
     * erf to about 1e-16, from the everywhere-convergent series
     * erf(z) = 2/√π · e^(−z²) · Σ_{n≥0} 2ⁿ z^(2n+1) / (1·3·5···(2n+1)), whose terms are all of one sign
     * (no cancellation). For |z| > 6, erf(z) = ±1 to double precision.
     */
    public static double erf(double z) {
        if (Double.isNaN(z)) return z;
        double a = Math.abs(z);
        if (a > 6) return Math.signum(z);
        double term = a;
        double sum = a;
        for (int n = 0; n < 1000; n++) {
            term *= 2 * a * a / (2 * n + 3);
            sum += term;
            if (term < 1e-17 * sum) break;
        }
        double r = 2 / Math.sqrt(Math.PI) * Math.exp(-a * a) * sum;
        return z < 0 ? -r : r;
    }
}
