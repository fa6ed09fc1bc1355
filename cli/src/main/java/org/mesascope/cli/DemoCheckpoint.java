package org.mesascope.cli;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.mesascope.core.io.SafetensorsWriter;
import org.mesascope.core.tokenizer.Tokenizers;
import org.mesascope.probes.organisms.Gpt2Export;
import org.mesascope.probes.organisms.Gpt2Shape;

import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * Writes {@code models/demo-random-gpt2}, a small checkpoint for tests and {@code bench --shape demo}: a GPT-2 (4 layers, d_model 64, 4 heads, 128 positions) with deterministic random weights, and a byte-level
 * BPE tokenizer whose 256 tokens are the bytes (token id = byte value, no merges) plus {@code <|endoftext|>} (256).
 *
 * <p>The same bytes come out on every machine and JDK: the random numbers are SplitMix64 turned Gaussian with
 * Box–Muller on {@link StrictMath}, and the JSON is written with fixed key order and "\n" line ends. A test
 * regenerates the folder and compares it with the committed files.
 *
 * <p>Run: {@code java -cp "cli/target/classes:$(cat cli/target/launcher/classpath)" org.mesascope.cli.DemoCheckpoint
 * models/demo-random-gpt2}
 */
public final class DemoCheckpoint {
    /** A GPT-2 shape; the demo's is {@link #DEMO}, benchmarks write bigger ones (e.g. {@link #GPT2_SMALL}). */
    record Shape(int layers, int dModel, int heads, int positions, int vocab, long seed) {
        int dMlp() {
            return 4 * dModel;
        }

        Gpt2Shape gpt2() {
            return new Gpt2Shape(layers, dModel, heads, positions, vocab);
        }
    }

    static final int EOT = 256;
    static final Shape DEMO = new Shape(4, 64, 4, 128, EOT + 1, 0);
    /** GPT-2 small: 124M parameters. */
    static final Shape GPT2_SMALL = new Shape(12, 768, 12, 1024, 50257, 0);
    /** The files this class writes (the folder's README.md is written by hand). */
    static final String[] FILES = {"config.json", "tokenizer.json", "model.safetensors"};

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

    /** A checkpoint of another shape, without a tokenizer (its users give token ids): for benchmarks. */
    static void writeWithoutTokenizer(Path dir, Shape shape) {
        Outputs.directory(dir);
        writeWeights(dir.resolve("model.safetensors"), shape);
        // config.json last: a folder with a config is a complete checkpoint
        Outputs.writeText(dir.resolve("config.json"), config(shape));
    }

    /** GPT-2's config.json for this shape: <|endoftext|> both begins and ends text. */
    private static String config(Shape s) {
        return Gpt2Export.pretty(Gpt2Export.config(s.gpt2(), OptionalInt.of(EOT), OptionalInt.of(EOT)));
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

    /**
     * HF GPT2LMHeadModel tensor names and shapes (Conv1D weights are [in, out]; lm_head is tied to wte, so not stored).
     * Scales are chosen for a readable demo rather than GPT-2's init (std 0.02 everywhere would make every lens
     * distribution nearly uniform): embeddings large enough that early lens rows recognise the input token, each block
     * mixing in a smaller update.
     */
    private static void writeWeights(Path file, Shape s) {
        Gaussian g = new Gaussian(s.seed());
        int d = s.dModel(), dMlp = s.dMlp(), vocab = s.vocab(), positions = s.positions();
        try (SafetensorsWriter w = SafetensorsWriter.create(file)) {
            w.add("transformer.wte.weight", g.next(vocab * d, 0.1), vocab, d);
            w.add("transformer.wpe.weight", g.next(positions * d, 0.02), positions, d);
            for (int l = 0; l < s.layers(); l++) {
                String p = "transformer.h." + l + ".";
                w.add(p + "ln_1.weight", g.around(d, 1, 0.02), d);
                w.add(p + "ln_1.bias", g.next(d, 0.02), d);
                w.add(p + "attn.c_attn.weight", g.next(d * 3 * d, 1 / Math.sqrt(d)), d, 3 * d);
                w.add(p + "attn.c_attn.bias", g.next(3 * d, 0.02), 3 * d);
                w.add(p + "attn.c_proj.weight", g.next(d * d, 0.5 / Math.sqrt(d)), d, d);
                w.add(p + "attn.c_proj.bias", g.next(d, 0.02), d);
                w.add(p + "ln_2.weight", g.around(d, 1, 0.02), d);
                w.add(p + "ln_2.bias", g.next(d, 0.02), d);
                w.add(p + "mlp.c_fc.weight", g.next(d * dMlp, 1 / Math.sqrt(d)), d, dMlp);
                w.add(p + "mlp.c_fc.bias", g.next(dMlp, 0.02), dMlp);
                w.add(p + "mlp.c_proj.weight", g.next(dMlp * d, 0.5 / Math.sqrt(dMlp)), dMlp, d);
                w.add(p + "mlp.c_proj.bias", g.next(d, 0.02), d);
            }
            w.add("transformer.ln_f.weight", g.around(d, 1, 0.02), d);
            w.add("transformer.ln_f.bias", g.next(d, 0.02), d);
            w.metadata("format", "pt");
            w.commit();
        }
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
