package org.mesascope.cli.demo;

import org.mesascope.cli.support.Outputs;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.mesascope.core.cpu.Gemm;
import org.mesascope.core.io.AtomicFile;
import org.mesascope.core.io.SafetensorsWriter;
import org.mesascope.core.model.Architecture;
import org.mesascope.core.model.Gpt2;
import org.mesascope.core.model.Llama;
import org.mesascope.core.model.ModelConfig;
import org.mesascope.core.model.WeightMap;
import org.mesascope.core.tokenizer.Tokenizers;
import org.mesascope.organisms.Gpt2Export;
import org.mesascope.organisms.Gpt2Shape;

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
 * <p>Run: {@code java -cp "cli/target/classes:$(cat cli/target/launcher/classpath)" org.mesascope.cli.demo.DemoCheckpoint
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
    public record Shape(Architecture family, int layers, int dModel, int heads, int kvHeads, int dMlp, int positions, int vocab,
                        long seed) {
        public Shape {
            if (family != Gpt2.ARCH && family != Llama.ARCH) throw new IllegalArgumentException("only GPT-2 and Llama checkpoints are generated");
            if (family == Gpt2.ARCH && (kvHeads != heads || dModel % heads != 0)) {
                throw new IllegalArgumentException("a GPT-2 has one key/value head per head and d_model a multiple of heads");
            }
            if (heads % kvHeads != 0) throw new IllegalArgumentException(heads + " heads are not a multiple of " + kvHeads + " key/value heads");
        }

        /** A GPT-2: MLP 4 × d_model, the unembedding tied to the token embedding. */
        public Shape(int layers, int dModel, int heads, int positions, int vocab, long seed) {
            this(Gpt2.ARCH, layers, dModel, heads, heads, 4 * dModel, positions, vocab, seed);
        }

        /** A Llama (LlamaForCausalLM): head_dim = d_model / heads, lm_head stored apart from the embedding. */
        public static Shape llama(int layers, int dModel, int heads, int kvHeads, int dMlp, int positions, int vocab, long seed) {
            return new Shape(Llama.ARCH, layers, dModel, heads, kvHeads, dMlp, positions, vocab, seed);
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
    public static final Shape DEMO = new Shape(4, 64, 4, 128, EOT + 1, 0);
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
            System.exit(2); // a usage error, as the command line exits
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
        if (s.family() == Gpt2.ARCH) return Gpt2Export.pretty(Gpt2Export.config(s.gpt2(), OptionalInt.of(EOT), OptionalInt.of(EOT)));
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
     * Every tensor of the family's weight map (Hugging Face's names, shapes and order), each drawn from a normal
     * distribution. Scales are chosen for a readable demo rather than GPT-2's init (std 0.02 everywhere would make every
     * lens distribution nearly uniform): embeddings large enough that early lens rows recognise the input token;
     * projections into a layer keep the RMS of their input (std 1/√in), projections back into the residual (attention
     * output, MLP down) halve it, so that activations neither vanish nor blow up over 24 layers; norms near 1, biases
     * near 0.
     */
    private static List<Draw> tensors(Shape s) {
        ModelConfig c = ModelConfig.fromJson(config(s), Path.of("config.json"));
        List<Draw> t = new ArrayList<>();
        for (WeightMap.Slot slot : c.family().weightMap(c, c.family().bodyPrefix()).slots()) {
            int[] shape = slot.shape();
            boolean bias = slot.part() == WeightMap.Part.BIAS;
            int in = slot.layout() == null ? 0 : slot.layout() == Gemm.Layout.OUT_IN ? shape[1] : shape[0];
            Draw d = switch (slot.role()) {
                case TOKEN_EMBED -> new Draw(slot.name(), shape, 0, s.family() == Gpt2.ARCH ? 0.1 : 0.5);
                case POS_EMBED -> new Draw(slot.name(), shape, 0, 0.02);
                case LN1, LN2, FINAL_NORM -> new Draw(slot.name(), shape, bias ? 0 : 1, 0.02);
                case OUT, DOWN -> new Draw(slot.name(), shape, 0, bias ? 0.02 : 0.5 / Math.sqrt(in));
                default -> new Draw(slot.name(), shape, 0, bias ? 0.02 : 1 / Math.sqrt(in));
            };
            t.add(d);
        }
        return t;
    }

    /**
     * model.safetensors, F32, written atomically. Values are drawn and written {@link #CHUNK_FLOATS} at a time, so a
     * checkpoint of any size costs a few hundred KiB of heap (the benchmark measures the heap it runs in), and the bytes
     * are those SafetensorsWriter wrote for the demo before (its test compares them with the committed file).
     */
    private static void writeWeights(Path file, Shape s) {
        List<Draw> tensors = tensors(s);
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
