package org.mesascope.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.mesascope.core.io.AtomicFile;
import org.mesascope.core.io.SafetensorsWriter;
import org.mesascope.core.model.ModelConfig.Family;
import org.mesascope.core.tokenizer.Tokenizers;
import org.mesascope.probes.organisms.Gpt2Export;
import org.mesascope.probes.organisms.Gpt2Shape;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Writes {@code models/demo-random-gpt2}, a small checkpoint for tests and {@code bench --shape demo}: a GPT-2 (4 layers, d_model 64, 4 heads, 128 positions) with deterministic random weights, and a byte-level
 * BPE tokenizer whose 256 tokens are the bytes (token id = byte value, no merges) plus {@code <|endoftext|>} (256).
 *
 * <p>The same bytes come out on every machine and JDK: the random numbers are SplitMix64 turned Gaussian with
 * Box–Muller on {@link StrictMath}, and the JSON is written with fixed key order and "\n" line ends. A test
 * regenerates the folder and compares it with the committed files. The same code writes the benchmarks' bigger
 * checkpoints without a tokenizer, GPT-2- or Llama-shaped ({@link #writeWithoutTokenizer}).
 *
 * <p>Run: {@code java -cp "cli/target/classes:$(cat cli/target/launcher/classpath)" org.mesascope.cli.DemoCheckpoint
 * models/demo-random-gpt2}
 */
public final class DemoCheckpoint {
    /**
     * A GPT-2 or Llama shape; the demo's is {@link #DEMO}, benchmarks write bigger ones ({@link #GPT2_SMALL},
     * {@link #LLAMA_350M}).
     *
     * @param kvHeads key/value heads (grouped-query attention); a GPT-2 has as many as heads
     * @param dMlp    the MLP's inner width (GPT-2: 4 × d_model; Llama: SwiGLU's gate and up projections)
     */
    public record Shape(Family family, int layers, int dModel, int heads, int kvHeads, int dMlp, int positions, int vocab,
                        long seed) {
        public Shape {
            if (family == Family.NEOX) throw new IllegalArgumentException("only GPT-2 and Llama checkpoints are generated");
            if (family == Family.GPT2 && (kvHeads != heads || dModel % heads != 0)) {
                throw new IllegalArgumentException("a GPT-2 has one key/value head per head and d_model a multiple of heads");
            }
            if (heads % kvHeads != 0) throw new IllegalArgumentException(heads + " heads are not a multiple of " + kvHeads + " key/value heads");
        }

        /** A GPT-2: MLP 4 × d_model, the unembedding tied to the token embedding. */
        public Shape(int layers, int dModel, int heads, int positions, int vocab, long seed) {
            this(Family.GPT2, layers, dModel, heads, heads, 4 * dModel, positions, vocab, seed);
        }

        /** A Llama (LlamaForCausalLM): head_dim = d_model / heads, lm_head stored apart from the embedding. */
        public static Shape llama(int layers, int dModel, int heads, int kvHeads, int dMlp, int positions, int vocab, long seed) {
            return new Shape(Family.LLAMA, layers, dModel, heads, kvHeads, dMlp, positions, vocab, seed);
        }

        /** The same shape with another depth; the first layers draw the same weights as before. */
        public Shape withLayers(int n) {
            return new Shape(family, n, dModel, heads, kvHeads, dMlp, positions, vocab, seed);
        }

        public int headDim() {
            return dModel / heads;
        }

        Gpt2Shape gpt2() {
            return new Gpt2Shape(layers, dModel, heads, positions, vocab);
        }
    }

    static final int EOT = 256;
    static final Shape DEMO = new Shape(4, 64, 4, 128, EOT + 1, 0);
    /** GPT-2 small: 124M parameters. */
    public static final Shape GPT2_SMALL = new Shape(12, 768, 12, 1024, 50257, 0);
    /**
     * A Llama-shaped 355M: 24 layers, d_model 1024, 16 query heads sharing 4 key/value heads (head_dim 64), SwiGLU
     * 3072 wide, Llama 2's 32000-token vocabulary, untied lm_head.
     */
    public static final Shape LLAMA_350M = Shape.llama(24, 1024, 16, 4, 3072, 2048, 32000, 0);
    /** A Llama as small as the demo GPT-2, for quick checks of the Llama path. */
    public static final Shape LLAMA_DEMO = Shape.llama(4, 64, 4, 2, 192, 128, EOT + 1, 0);
    /** The files this class writes (the folder's README.md is written by hand). */
    static final String[] FILES = {"config.json", "tokenizer.json", "model.safetensors"};
    /** Floats drawn and written at a time: even, so that Box–Muller pairs fall as in one draw of the whole tensor. */
    private static final int CHUNK_FLOATS = 1 << 16;

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private DemoCheckpoint() {
    }

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: DemoCheckpoint DIR");
            System.exit(Main.USAGE);
        }
        write(Path.of(args[0]));
    }

    /** Writes config.json, tokenizer.json and model.safetensors of the demo model into {@code dir} (created if missing). */
    public static void write(Path dir) {
        Outputs.directory(dir);
        Outputs.writeText(dir.resolve("config.json"), config(DEMO));
        Outputs.writeText(dir.resolve("tokenizer.json"), Gpt2Export.pretty(tokenizer()));
        writeWeights(dir.resolve("model.safetensors"), DEMO);
    }

    /** A checkpoint of another shape, without a tokenizer (its users give token ids): for benchmarks and tests. */
    public static void writeWithoutTokenizer(Path dir, Shape shape) {
        Outputs.directory(dir);
        writeWeights(dir.resolve("model.safetensors"), shape);
        // config.json last: a folder with a config is a complete checkpoint
        Outputs.writeText(dir.resolve("config.json"), config(shape));
    }

    /** config.json for this shape: GPT-2's with <|endoftext|> beginning and ending text, or LlamaForCausalLM's. */
    private static String config(Shape s) {
        if (s.family() == Family.GPT2) return Gpt2Export.pretty(Gpt2Export.config(s.gpt2(), OptionalInt.of(EOT), OptionalInt.of(EOT)));
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add("LlamaForCausalLM");
        c.put("model_type", "llama");
        c.put("vocab_size", s.vocab());
        c.put("hidden_size", s.dModel());
        c.put("intermediate_size", s.dMlp());
        c.put("num_hidden_layers", s.layers());
        c.put("num_attention_heads", s.heads());
        c.put("num_key_value_heads", s.kvHeads());
        c.put("head_dim", s.headDim());
        c.put("max_position_embeddings", s.positions());
        c.put("hidden_act", "silu");
        c.put("rms_norm_eps", 1e-5);
        c.put("rope_theta", 10000.0);
        c.put("attention_bias", false);
        c.put("mlp_bias", false);
        c.put("tie_word_embeddings", false);
        c.put("torch_dtype", "float32");
        return Gpt2Export.pretty(c);
    }

    /** GPT-2's tokenizer.json layout over a byte vocabulary: no merges, so every byte is one token. */
    private static ObjectNode tokenizer() {
        ObjectNode vocab = JSON.createObjectNode();
        String[] chars = byteChars();
        for (int b = 0; b < 256; b++) vocab.put(chars[b], b);
        vocab.put("<|endoftext|>", EOT);
        return Tokenizers.byteLevelBpe(vocab, JSON.createArrayNode());
    }

    /**
     * GPT-2's bytes_to_unicode: the character byte-level BPE writes for each byte. Printable Latin-1 bytes stand for
     * themselves; the others (controls, space, ...) are shifted to U+0100 and up, in byte order.
     */
    static String[] byteChars() {
        String[] chars = new String[256];
        int shifted = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            chars[b] = Character.toString(printable ? b : 256 + shifted++);
        }
        return chars;
    }

    /** One tensor of a generated checkpoint: its name and shape, and the normal distribution its values are drawn from. */
    private record Draw(String name, int[] shape, double mean, double std) {
        long numel() {
            long n = 1;
            for (int d : shape) n *= d;
            return n;
        }
    }

    /**
     * HF GPT2LMHeadModel tensor names and shapes (Conv1D weights are [in, out]; lm_head is tied to wte, so not stored).
     * Scales are chosen for a readable demo rather than GPT-2's init (std 0.02 everywhere would make every lens
     * distribution nearly uniform): embeddings large enough that early lens rows recognise the input token, each block
     * mixing in a smaller update.
     */
    private static List<Draw> gpt2Tensors(Shape s) {
        int d = s.dModel(), dMlp = s.dMlp();
        List<Draw> t = new ArrayList<>();
        t.add(new Draw("transformer.wte.weight", new int[]{s.vocab(), d}, 0, 0.1));
        t.add(new Draw("transformer.wpe.weight", new int[]{s.positions(), d}, 0, 0.02));
        for (int l = 0; l < s.layers(); l++) {
            String p = "transformer.h." + l + ".";
            t.add(new Draw(p + "ln_1.weight", new int[]{d}, 1, 0.02));
            t.add(new Draw(p + "ln_1.bias", new int[]{d}, 0, 0.02));
            t.add(new Draw(p + "attn.c_attn.weight", new int[]{d, 3 * d}, 0, 1 / Math.sqrt(d)));
            t.add(new Draw(p + "attn.c_attn.bias", new int[]{3 * d}, 0, 0.02));
            t.add(new Draw(p + "attn.c_proj.weight", new int[]{d, d}, 0, 0.5 / Math.sqrt(d)));
            t.add(new Draw(p + "attn.c_proj.bias", new int[]{d}, 0, 0.02));
            t.add(new Draw(p + "ln_2.weight", new int[]{d}, 1, 0.02));
            t.add(new Draw(p + "ln_2.bias", new int[]{d}, 0, 0.02));
            t.add(new Draw(p + "mlp.c_fc.weight", new int[]{d, dMlp}, 0, 1 / Math.sqrt(d)));
            t.add(new Draw(p + "mlp.c_fc.bias", new int[]{dMlp}, 0, 0.02));
            t.add(new Draw(p + "mlp.c_proj.weight", new int[]{dMlp, d}, 0, 0.5 / Math.sqrt(dMlp)));
            t.add(new Draw(p + "mlp.c_proj.bias", new int[]{d}, 0, 0.02));
        }
        t.add(new Draw("transformer.ln_f.weight", new int[]{d}, 1, 0.02));
        t.add(new Draw("transformer.ln_f.bias", new int[]{d}, 0, 0.02));
        return t;
    }

    /**
     * HF LlamaForCausalLM tensor names and shapes (torch.nn.Linear weights are [out, in]; no biases). The same idea of
     * scale as GPT-2's: projections into a layer keep the RMS of their input, projections back into the residual
     * halve it, so that activations neither vanish nor blow up over 24 layers.
     */
    private static List<Draw> llamaTensors(Shape s) {
        int d = s.dModel(), dMlp = s.dMlp(), q = s.heads() * s.headDim(), kv = s.kvHeads() * s.headDim();
        List<Draw> t = new ArrayList<>();
        t.add(new Draw("model.embed_tokens.weight", new int[]{s.vocab(), d}, 0, 0.5));
        for (int l = 0; l < s.layers(); l++) {
            String p = "model.layers." + l + ".";
            t.add(new Draw(p + "input_layernorm.weight", new int[]{d}, 1, 0.02));
            t.add(new Draw(p + "self_attn.q_proj.weight", new int[]{q, d}, 0, 1 / Math.sqrt(d)));
            t.add(new Draw(p + "self_attn.k_proj.weight", new int[]{kv, d}, 0, 1 / Math.sqrt(d)));
            t.add(new Draw(p + "self_attn.v_proj.weight", new int[]{kv, d}, 0, 1 / Math.sqrt(d)));
            t.add(new Draw(p + "self_attn.o_proj.weight", new int[]{d, q}, 0, 0.5 / Math.sqrt(q)));
            t.add(new Draw(p + "post_attention_layernorm.weight", new int[]{d}, 1, 0.02));
            t.add(new Draw(p + "mlp.gate_proj.weight", new int[]{dMlp, d}, 0, 1 / Math.sqrt(d)));
            t.add(new Draw(p + "mlp.up_proj.weight", new int[]{dMlp, d}, 0, 1 / Math.sqrt(d)));
            t.add(new Draw(p + "mlp.down_proj.weight", new int[]{d, dMlp}, 0, 0.5 / Math.sqrt(dMlp)));
        }
        t.add(new Draw("model.norm.weight", new int[]{d}, 1, 0.02));
        t.add(new Draw("lm_head.weight", new int[]{s.vocab(), d}, 0, 1 / Math.sqrt(d)));
        return t;
    }

    /**
     * model.safetensors, F32, written atomically. Values are drawn and written {@link #CHUNK_FLOATS} at a time, so a
     * checkpoint of any size costs a few hundred KiB of heap (the benchmark measures the heap it runs in), and the bytes
     * are those SafetensorsWriter wrote for the demo before (its test compares them with the committed file).
     */
    private static void writeWeights(Path file, Shape s) {
        List<Draw> tensors = s.family() == Family.LLAMA ? llamaTensors(s) : gpt2Tensors(s);
        Gaussian g = new Gaussian(s.seed());
        try {
            byte[] header = header(tensors);
            AtomicFile.write(file, out -> {
                out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
                out.write(header);
                byte[] bytes = new byte[CHUNK_FLOATS * Float.BYTES];
                FloatBuffer floats = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
                for (Draw t : tensors) {
                    for (long from = 0; from < t.numel(); from += CHUNK_FLOATS) {
                        int n = (int) Math.min(CHUNK_FLOATS, t.numel() - from);
                        floats.clear();
                        floats.put(g.around(n, t.mean(), t.std()));
                        out.write(bytes, 0, n * Float.BYTES);
                    }
                }
            });
        } catch (IOException e) {
            throw Outputs.cannotWrite(file, e);
        }
    }

    /** The safetensors header as SafetensorsWriter writes it, with the "format": "pt" metadata torch writes. */
    private static byte[] header(List<Draw> tensors) throws JsonProcessingException {
        List<SafetensorsWriter.F32Tensor> layout = new ArrayList<>();
        for (Draw t : tensors) layout.add(new SafetensorsWriter.F32Tensor(t.name(), t.shape()));
        return SafetensorsWriter.f32Header(Map.of("format", "pt"), layout);
    }

    /** Normal samples from SplitMix64 (Steele et al. 2014), reproducible bit for bit. */
    static final class Gaussian {
        private long state;

        Gaussian(long seed) {
            state = seed;
        }

        /** {@code n} samples of N(0, std²). */
        float[] next(int n, double std) {
            return around(n, 0, std);
        }

        /** {@code n} samples of N(mean, std²). */
        float[] around(int n, double mean, double std) {
            float[] out = new float[n];
            for (int i = 0; i < n; i += 2) {
                // Box–Muller: two uniforms in (0, 1] and [0, 1) give two independent standard normals
                double u1 = 1.0 - uniform(), u2 = uniform();
                double r = StrictMath.sqrt(-2 * StrictMath.log(u1)), a = 2 * Math.PI * u2;
                out[i] = (float) (mean + std * r * StrictMath.cos(a));
                if (i + 1 < n) out[i + 1] = (float) (mean + std * r * StrictMath.sin(a));
            }
            return out;
        }

        /** Uniform in [0, 1) with 53 random bits. */
        private double uniform() {
            long z = (state += 0x9E3779B97F4A7C15L);
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z ^= z >>> 31;
            return (z >>> 11) * 0x1.0p-53;
        }
    }
}
