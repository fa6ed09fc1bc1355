package org.mesascope.core.reference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mesascope.core.reference.RandomCheckpoints.Variant;
import org.mesascope.core.reference.ReferenceModel.Config;
import org.mesascope.core.reference.ReferenceModel.Trace;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Checks of the float64 reference itself: against outside facts where there are some, else invariants. */
class ReferenceModelTest {

    // ------------------------------------------------------------------ stories260k (a real trained Llama)

    private static Path stories() {
        String shared = System.getProperty("mesascope.shared");
        assumeTrue(shared != null, "system property mesascope.shared is not set (run through Maven)");
        Path dir = Path.of(shared, "models", "stories260k");
        assumeTrue(Files.isRegularFile(dir.resolve("model.safetensors")), "no stories260k fixture at " + dir);
        return dir;
    }

    private static final int[] ONCE_UPON_A_TIME = {1, 403, 407, 261, 378};

    /** Facts from shared/models/stories260k/README.md (float64 numpy forward and a run.c port agree on them). */
    @Test
    void stories260kLogitsMatchTheReadme() throws IOException {
        ReferenceModel m = ReferenceModel.load(stories());
        Config c = m.config();
        assertEquals(8, c.numHeads());
        assertEquals(4, c.numKvHeads());
        RefTensor logits = m.run(ONCE_UPON_A_TIME).logits();
        assertArrayEquals(new int[] {5, 512}, logits.shape());

        double sum = 0, sq = 0;
        for (double x : logits.data()) {
            sum += x;
            sq += x * x;
        }
        assertRel(-9720.9466, sum, 1e-4, "sum of logits");
        assertRel(368.44106, Math.sqrt(sq), 1e-4, "Frobenius norm of logits");

        double[] last = logits.row(4);
        Integer[] order = new Integer[last.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(last[b], last[a]));
        int[] topIds = {432, 383, 322, 353, 323};
        double[] topValues = {17.799398, 14.281259, 9.709651, 9.587290, 9.134243};
        for (int r = 0; r < 5; r++) {
            assertEquals(topIds[r], order[r], "rank " + r);
            assertRel(topValues[r], last[order[r]], 1e-4, "logit of rank " + r);
        }
    }

    @Test
    void stories260kGreedyMatchesTheReadme() throws IOException {
        ReferenceModel m = ReferenceModel.load(stories());
        int[] expected = {432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337, 410,
                408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394, 261, 370, 432, 352,
                266, 268, 388, 426};
        assertArrayEquals(expected, m.greedy(ONCE_UPON_A_TIME, 40));
        // "From BOS alone ([1]), greedy produces the same ids: 403, 407, 261, 378, 432, 383, ..."
        assertArrayEquals(new int[] {403, 407, 261, 378, 432, 383}, m.greedy(new int[] {1}, 6));
    }

    @Test
    void stories260kShardedCopyGivesTheSameTrace(@TempDir Path tmp) throws IOException {
        Path src = stories();
        Path copy = RandomCheckpoints.writeShardedCopy(src, tmp.resolve("sharded"), 3);
        assertTrue(Files.exists(copy.resolve("model.safetensors.index.json")));
        assertTrue(Files.exists(copy.resolve("tokenizer.json")));
        assertSameTrace(ReferenceModel.load(src).run(ONCE_UPON_A_TIME), ReferenceModel.load(copy).run(ONCE_UPON_A_TIME));
    }

    // ------------------------------------------------------------------ every random variant: invariants

    static Stream<Variant> variants() {
        return Stream.concat(RandomCheckpoints.all().stream(), RandomCheckpoints.extras().stream());
    }

    static int[] randomTokens(int vocab, int n, long seed) {
        Random r = new Random(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(vocab);
        return t;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void traceInvariantsHold(Variant v, @TempDir Path tmp) throws IOException {
        ReferenceModel m = ReferenceModel.load(RandomCheckpoints.write(tmp.resolve(v.name()), v, 7));
        Config c = m.config();
        int T = 20, d = c.hiddenSize(), H = c.numHeads(), L = c.numLayers(), V = c.vocabSize();
        int[] tokens = randomTokens(V, T, 11);
        Trace tr = m.run(tokens);
        boolean gpt2 = c.family() == ReferenceModel.Family.GPT2;

        // exactly the hooks of the design, in computation order, with exact shapes
        List<String> expected = new ArrayList<>(List.of("hook_embed"));
        if (gpt2) expected.add("hook_pos_embed");
        for (int l = 0; l < L; l++) {
            String b = "blocks." + l + ".";
            expected.add(b + "hook_resid_pre");
            expected.add(b + "attn.hook_pattern");
            expected.add(b + "attn.hook_z");
            expected.add(b + "hook_attn_out");
            if (!c.parallelResidual()) expected.add(b + "hook_resid_mid");
            expected.add(b + "hook_mlp_out");
            expected.add(b + "hook_resid_post");
        }
        expected.add("ln_final.hook_normalized");
        expected.add("logits");
        assertEquals(expected, tr.names());
        for (String n : tr.names()) {
            int[] shape = n.endsWith("hook_pattern") ? new int[] {H, T, T} : n.endsWith("hook_z") ? new int[] {T, H, c.headDim()}
                    : n.equals("logits") ? new int[] {T, V} : new int[] {T, d};
            assertArrayEquals(shape, tr.get(n).shape(), n);
            for (double x : tr.get(n).data()) assertTrue(Double.isFinite(x), n + " has a non-finite value");
        }

        // the residual stream adds up
        double[] pre0 = tr.get("blocks.0.hook_resid_pre").data();
        double[] embed = tr.get("hook_embed").data();
        for (int i = 0; i < pre0.length; i++) {
            double want = embed[i] + (gpt2 ? tr.get("hook_pos_embed").data()[i] : 0);
            assertEquals(want, pre0[i], 0, "resid_pre 0 = embeddings");
        }
        for (int l = 0; l < L; l++) {
            String b = "blocks." + l + ".";
            double[] pre = tr.get(b + "hook_resid_pre").data();
            double[] attn = tr.get(b + "hook_attn_out").data();
            double[] mlp = tr.get(b + "hook_mlp_out").data();
            double[] post = tr.get(b + "hook_resid_post").data();
            for (int i = 0; i < post.length; i++) {
                if (c.parallelResidual()) {
                    assertEquals(pre[i] + attn[i] + mlp[i], post[i], 1e-12);
                } else {
                    double mid = tr.get(b + "hook_resid_mid").data()[i];
                    assertEquals(pre[i] + attn[i], mid, 1e-12);
                    assertEquals(mid + mlp[i], post[i], 1e-12);
                }
            }
            if (l + 1 < L) assertArrayEquals(post, tr.get("blocks." + (l + 1) + ".hook_resid_pre").data(), l + "→" + (l + 1));
            checkPattern(tr.get(b + "attn.hook_pattern"), H, T, c.slidingWindow()[l], b);
        }

        // logit lens on the last residual is the model's logits (Lens rows: last row == logits)
        double[] lastPost = tr.get("blocks." + (L - 1) + ".hook_resid_post").data();
        for (int t = 0; t < T; t++) {
            double[] lens = m.unembed(Arrays.copyOfRange(lastPost, t * d, (t + 1) * d));
            assertTrue(tr.logits().row(t).length == V);
            assertArrayEquals(tr.logits().row(t), lens, 1e-12, "unembed at " + t);
        }

        // runFrom reproduces run from any starting layer
        Trace from0 = m.runFrom(0, pre0, tokens);
        assertEquals(tr.names().subList(tr.names().indexOf("blocks.0.hook_resid_pre"), tr.names().size()), from0.names());
        for (String n : from0.names()) assertArrayEquals(tr.get(n).data(), from0.get(n).data(), "runFrom(0) " + n);
        for (int l = 1; l <= L; l++) {
            double[] start = l < L ? tr.get("blocks." + l + ".hook_resid_pre").data() : lastPost;
            Trace from = m.runFrom(l, start, tokens);
            assertArrayEquals(tr.logits().data(), from.logits().data(), "runFrom(" + l + ") logits");
            assertFalse(from.has("hook_embed"));
        }

        // causality: a prefix computes the same rows
        int k = 12;
        Trace prefix = m.run(Arrays.copyOf(tokens, k));
        for (String n : prefix.names()) {
            if (n.endsWith("hook_pattern")) {
                for (int h = 0; h < H; h++) for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) {
                    assertEquals(tr.get(n).data()[(h * T + i) * T + j], prefix.get(n).data()[(h * k + i) * k + j], 0, n);
                }
            } else {
                double[] full = tr.get(n).data();
                assertArrayEquals(Arrays.copyOf(full, prefix.get(n).numel()), prefix.get(n).data(), n + " on a prefix");
            }
        }

        // greedy's first step is the argmax of the last logits
        double[] lastRow = prefix.logits().row(k - 1);
        int best = 0;
        for (int i = 1; i < V; i++) if (lastRow[i] > lastRow[best]) best = i;
        assertEquals(best, m.greedy(Arrays.copyOf(tokens, k), 2)[0]);

        // the random checkpoint is a sensitive test: O(1) activations, softmaxes not saturated
        double rms = rms(lastPost);
        assertTrue(rms > 0.2 && rms < 20, "residual rms " + rms);
        for (int l = 0; l < L; l++) {
            double meanMax = meanMaxProbability(tr.get("blocks." + l + ".attn.hook_pattern"), H, T, 4);
            assertTrue(meanMax < 0.9, "layer " + l + " attention nearly one-hot: mean max prob " + meanMax);
        }
        double logitRms = rms(tr.logits().data());
        assertTrue(logitRms > 0.3 && logitRms < 30, "logit rms " + logitRms);
    }

    private static void checkPattern(RefTensor p, int H, int T, int window, String where) {
        for (int h = 0; h < H; h++) {
            for (int i = 0; i < T; i++) {
                double sum = 0;
                for (int j = 0; j < T; j++) {
                    double x = p.data()[(h * T + i) * T + j];
                    boolean visible = j <= i && (window == 0 || j > i - window);
                    if (!visible) assertEquals(0.0, x, 0, where + " masked entry");
                    assertTrue(x >= 0, where);
                    sum += x;
                }
                assertEquals(1.0, sum, 1e-12, where + " row sum");
            }
        }
    }

    private static double meanMaxProbability(RefTensor p, int H, int T, int fromRow) {
        double s = 0;
        int n = 0;
        for (int h = 0; h < H; h++) {
            for (int i = fromRow; i < T; i++) {
                double max = 0;
                for (int j = 0; j <= i; j++) max = Math.max(max, p.data()[(h * T + i) * T + j]);
                s += max;
                n++;
            }
        }
        return s / n;
    }

    private static double rms(double[] a) {
        double s = 0;
        for (double x : a) s += x * x;
        return Math.sqrt(s / a.length);
    }

    // ------------------------------------------------------------------ cross-checks between variants

    @Test
    void gpt2LayoutsOfOneSeedGiveIdenticalTraces(@TempDir Path tmp) throws IOException {
        int[] tokens = randomTokens(80, 24, 3);
        Trace f32 = ReferenceModel.load(RandomCheckpoints.write(tmp.resolve("a"), RandomCheckpoints.GPT2, 5)).run(tokens);
        for (Variant v : List.of(RandomCheckpoints.GPT2_NO_PREFIX, RandomCheckpoints.GPT2_SHARDED)) {
            Trace other = ReferenceModel.load(RandomCheckpoints.write(tmp.resolve(v.name()), v, 5)).run(tokens);
            assertSameTrace(f32, other);
        }
        // a different seed is a different model
        Trace seed6 = ReferenceModel.load(RandomCheckpoints.write(tmp.resolve("b"), RandomCheckpoints.GPT2, 6)).run(tokens);
        assertTrue(f32.logits().relativeError(seed6.logits().data()) > 0.1);
    }

    @Test
    void halfPrecisionVariantsAreTheF32WeightsRounded(@TempDir Path tmp) throws IOException {
        int[] tokens = randomTokens(80, 24, 3);
        Trace f32 = ReferenceModel.load(RandomCheckpoints.write(tmp.resolve("a"), RandomCheckpoints.GPT2_NO_PREFIX, 5)).run(tokens);
        Trace f16 = ReferenceModel.load(RandomCheckpoints.write(tmp.resolve("b"), RandomCheckpoints.GPT2_F16, 5)).run(tokens);
        Trace bf16 = ReferenceModel.load(RandomCheckpoints.write(tmp.resolve("c"), RandomCheckpoints.GPT2_BF16, 5)).run(tokens);
        double e16 = f32.logits().relativeError(f16.logits().data());
        double eb16 = f32.logits().relativeError(bf16.logits().data());
        // F16 keeps 11 significant bits, BF16 8: errors of about 2^-11 and 2^-8 relative
        assertTrue(e16 > 1e-6 && e16 < 3e-3, "F16 logits relative error " + e16);
        assertTrue(eb16 > 1e-4 && eb16 < 3e-2, "BF16 logits relative error " + eb16);
        assertTrue(eb16 > e16);
    }

    @Test
    void shardedCopyOfARandomCheckpointGivesTheSameTrace(@TempDir Path tmp) throws IOException {
        Path src = RandomCheckpoints.write(tmp.resolve("neox"), RandomCheckpoints.NEOX_PARALLEL, 9);
        Path copy = RandomCheckpoints.writeShardedCopy(src, tmp.resolve("neox-sharded"), 2);
        int[] tokens = randomTokens(96, 16, 1);
        assertSameTrace(ReferenceModel.load(src).run(tokens), ReferenceModel.load(copy).run(tokens));
    }

    /**
     * hook_z is what c_proj reads: on a GPT-2 checkpoint, attn_out[t] = z[t] · c_proj.weight + c_proj.bias with the
     * weights read straight from the file (Conv1D [in, out]); and z of a head is its pattern row times the values, so
     * it is a convex combination of value vectors: with the pattern edited to one-hot on key 0, z at every position
     * equals z at position 0 (whose only key is 0).
     */
    @Test
    void hookZIsTheInputOfTheOutputProjection(@TempDir Path tmp) throws IOException {
        Path dir = RandomCheckpoints.write(tmp.resolve("gpt2"), RandomCheckpoints.GPT2_NO_PREFIX, 9);
        ReferenceModel m = ReferenceModel.load(dir);
        Config c = m.config();
        int T = 10, d = c.hiddenSize(), H = c.numHeads(), hd = c.headDim();
        int[] tokens = randomTokens(c.vocabSize(), T, 5);
        Trace tr = m.run(tokens);
        RefSafetensors.Checkpoint file = RefSafetensors.Checkpoint.open(dir);
        for (int l = 0; l < c.numLayers(); l++) {
            double[] w = file.tensor("h." + l + ".attn.c_proj.weight").data(); // [d, d], in-major
            double[] b = file.tensor("h." + l + ".attn.c_proj.bias").data();
            double[] z = tr.get("blocks." + l + ".attn.hook_z").data();
            double[] out = tr.get("blocks." + l + ".hook_attn_out").data();
            for (int t = 0; t < T; t++) {
                for (int o = 0; o < d; o++) {
                    double s = b[o];
                    for (int i = 0; i < H * hd; i++) s += z[t * H * hd + i] * w[i * d + o];
                    assertEquals(s, out[t * d + o], 1e-12, "layer " + l + " position " + t);
                }
            }
        }
        // an edited pattern is the one the values are mixed with
        Trace oneHot = m.run(tokens, (hook, value) -> {
            if (!hook.equals("blocks.1.attn.hook_pattern")) return;
            Arrays.fill(value, 0);
            for (int h = 0; h < H; h++) for (int i = 0; i < T; i++) value[(h * T + i) * T] = 1;
        });
        double[] z = oneHot.get("blocks.1.attn.hook_z").data();
        for (int t = 1; t < T; t++) {
            assertArrayEquals(Arrays.copyOfRange(z, 0, H * hd), Arrays.copyOfRange(z, t * H * hd, (t + 1) * H * hd), 0);
        }
        assertTrue(tr.get("blocks.1.attn.hook_z").maxAbsDiff(z) > 1e-3, "the pattern edit changed nothing");
    }

    /** An edit of resid_pre at layer l is runFrom(l) with the edited residual, and hooks before l are untouched. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("editVariants")
    void anEditOfResidPreEqualsRunFrom(Variant v, @TempDir Path tmp) throws IOException {
        ReferenceModel m = ReferenceModel.load(RandomCheckpoints.write(tmp.resolve(v.name()), v, 3));
        Config c = m.config();
        int T = 9, d = c.hiddenSize(), layer = c.numLayers() - 1;
        int[] tokens = randomTokens(c.vocabSize(), T, 6);
        double[] given = new Random(4).doubles(T * d).map(x -> 2 * x - 1).toArray();
        Trace plain = m.run(tokens);
        Trace edited = m.run(tokens, (hook, value) -> {
            if (hook.equals("blocks." + layer + ".hook_resid_pre")) System.arraycopy(given, 0, value, 0, value.length);
        });
        Trace from = m.runFrom(layer, given, tokens);
        for (String n : from.names()) assertArrayEquals(from.get(n).data(), edited.get(n).data(), n);
        assertArrayEquals(plain.get("blocks.0.hook_resid_post").data(), edited.get("blocks.0.hook_resid_post").data());
        assertTrue(plain.logits().maxAbsDiff(edited.logits().data()) > 1e-3, "the edit changed nothing");
    }

    static Stream<Variant> editVariants() {
        return Stream.of(RandomCheckpoints.GPT2, RandomCheckpoints.NEOX_PARALLEL, RandomCheckpoints.LLAMA_GQA);
    }

    /** The scaled-rope variants are only useful if the scaling changes their outputs at test lengths. */
    @Test
    void ropeScalingMattersAtTestLengths(@TempDir Path tmp) throws IOException {
        for (Variant v : List.of(RandomCheckpoints.LLAMA3_SCALING, RandomCheckpoints.LLAMA_LINEAR_SCALING)) {
            Variant plain = v.named(v.name() + "_PLAIN").with("rope_scaling", null);
            int[] tokens = randomTokens(60, 20, 2);
            Trace scaled = ReferenceModel.load(RandomCheckpoints.write(tmp.resolve(v.name()), v, 4)).run(tokens);
            Trace unscaled = ReferenceModel.load(RandomCheckpoints.write(tmp.resolve(plain.name()), plain, 4)).run(tokens);
            double e = unscaled.logits().relativeError(scaled.logits().data());
            assertTrue(e > 1e-2, v + ": scaling changes logits by only " + e);
        }
    }

    /** QWEN2 carries sliding_window 4 with use_sliding_window false: the window must be ignored. */
    @Test
    void qwen2SlidingWindowOnlyWhenEnabledAndOnlyFromMaxWindowLayers(@TempDir Path tmp) throws IOException {
        int[] tokens = randomTokens(100, 16, 8);
        Trace off = ReferenceModel.load(RandomCheckpoints.write(tmp.resolve("a"), RandomCheckpoints.QWEN2, 3)).run(tokens);
        Trace on = ReferenceModel.load(RandomCheckpoints.write(tmp.resolve("b"), RandomCheckpoints.QWEN2_SLIDING, 3)).run(tokens);
        assertArrayEquals(off.get("blocks.0.attn.hook_pattern").data(), on.get("blocks.0.attn.hook_pattern").data());
        double[] full = off.get("blocks.1.attn.hook_pattern").data();
        double[] windowed = on.get("blocks.1.attn.hook_pattern").data();
        int T = 16;
        assertTrue(full[(0 * T + 10) * T + 2] > 0); // layer 1 without window sees key 2 from query 10
        assertEquals(0.0, windowed[(0 * T + 10) * T + 6], 0); // 6 = 10 - 4: just outside the window
        assertTrue(windowed[(0 * T + 10) * T + 7] > 0);
    }

    /**
     * GPT-2 with zero position embeddings is GPT-NeoX with rotary_pct 0, a sequential residual and
     * gelu_new, once the weights are moved between the two layouts: Conv1D [in, out] → Linear [out, in],
     * and c_attn's [q | k | v] columns → query_key_value's per-head [heads, 3, head_dim] rows. This
     * checks the two loaders' layout handling against each other, hook by hook.
     */
    @Test
    void gpt2IsNeoxWithoutRotaryOnceTheLayoutIsConverted(@TempDir Path tmp) throws IOException {
        Path gptDir = RandomCheckpoints.write(tmp.resolve("gpt2"), RandomCheckpoints.GPT2_NO_PREFIX, 5);
        RefSafetensors.Checkpoint g = RefSafetensors.Checkpoint.open(gptDir);
        Map<String, Object> gc = RandomCheckpoints.hfConfig(RandomCheckpoints.GPT2_NO_PREFIX);
        int d = (Integer) gc.get("n_embd"), H = (Integer) gc.get("n_head"), L = (Integer) gc.get("n_layer");
        int V = (Integer) gc.get("vocab_size"), P = (Integer) gc.get("n_positions"), inner = 4 * d, hd = d / H;

        // GPT-2 again, with wpe zeroed
        Map<String, RefSafetensors.Raw> gpt = new LinkedHashMap<>();
        for (String n : g.names()) {
            RefSafetensors.Entry e = g.entry(n);
            byte[] bytes = n.equals("wpe.weight") ? new byte[P * d * 4] : RefSafetensors.readBytes(e);
            gpt.put(n, new RefSafetensors.Raw(e.dtype(), e.shape(), bytes));
        }
        RefSafetensors.write(gptDir.resolve("model.safetensors"), gpt, Map.of("format", "pt"));

        Map<String, RefSafetensors.Raw> neox = new LinkedHashMap<>();
        neox.put("gpt_neox.embed_in.weight", f32(g.tensor("wte.weight").data(), V, d));
        for (int l = 0; l < L; l++) {
            String a = "h." + l + ".", b = "gpt_neox.layers." + l + ".";
            for (String[] ln : new String[][] {{"ln_1", "input_layernorm"}, {"ln_2", "post_attention_layernorm"}}) {
                neox.put(b + ln[1] + ".weight", f32(g.tensor(a + ln[0] + ".weight").data(), d));
                neox.put(b + ln[1] + ".bias", f32(g.tensor(a + ln[0] + ".bias").data(), d));
            }
            double[] cAttn = g.tensor(a + "attn.c_attn.weight").data(); // [d, 3d]
            double[] cAttnB = g.tensor(a + "attn.c_attn.bias").data();
            double[] qkv = new double[3 * d * d];
            double[] qkvB = new double[3 * d];
            for (int h = 0; h < H; h++) for (int part = 0; part < 3; part++) for (int j = 0; j < hd; j++) {
                int row = h * 3 * hd + part * hd + j;   // NeoX output row
                int col = part * d + h * hd + j;        // GPT-2 output column
                for (int i = 0; i < d; i++) qkv[row * d + i] = cAttn[i * 3 * d + col];
                qkvB[row] = cAttnB[col];
            }
            neox.put(b + "attention.query_key_value.weight", f32(qkv, 3 * d, d));
            neox.put(b + "attention.query_key_value.bias", f32(qkvB, 3 * d));
            neox.put(b + "attention.dense.weight", f32(transpose(g.tensor(a + "attn.c_proj.weight").data(), d, d), d, d));
            neox.put(b + "attention.dense.bias", f32(g.tensor(a + "attn.c_proj.bias").data(), d));
            neox.put(b + "mlp.dense_h_to_4h.weight", f32(transpose(g.tensor(a + "mlp.c_fc.weight").data(), d, inner), inner, d));
            neox.put(b + "mlp.dense_h_to_4h.bias", f32(g.tensor(a + "mlp.c_fc.bias").data(), inner));
            neox.put(b + "mlp.dense_4h_to_h.weight", f32(transpose(g.tensor(a + "mlp.c_proj.weight").data(), inner, d), d, inner));
            neox.put(b + "mlp.dense_4h_to_h.bias", f32(g.tensor(a + "mlp.c_proj.bias").data(), d));
        }
        neox.put("gpt_neox.final_layer_norm.weight", f32(g.tensor("ln_f.weight").data(), d));
        neox.put("gpt_neox.final_layer_norm.bias", f32(g.tensor("ln_f.bias").data(), d));
        Path neoxDir = Files.createDirectories(tmp.resolve("neox"));
        RefSafetensors.write(neoxDir.resolve("model.safetensors"), neox, Map.of("format", "pt"));
        Files.writeString(neoxDir.resolve("config.json"), String.format(Locale.ROOT, """
                {"model_type": "gpt_neox", "vocab_size": %d, "hidden_size": %d, "num_hidden_layers": %d,
                 "num_attention_heads": %d, "intermediate_size": %d, "max_position_embeddings": %d,
                 "rotary_pct": 0.0, "use_parallel_residual": false, "hidden_act": "gelu_new",
                 "layer_norm_eps": 1e-5, "tie_word_embeddings": true}""", V, d, L, H, inner, P));

        int[] tokens = randomTokens(V, 24, 12);
        Trace a = ReferenceModel.load(gptDir).run(tokens);
        Trace b = ReferenceModel.load(neoxDir).run(tokens);
        List<String> gptNames = new ArrayList<>(a.names());
        gptNames.remove("hook_pos_embed");
        assertEquals(gptNames, b.names());
        for (String n : b.names()) {
            assertTrue(a.get(n).relativeError(b.get(n).data()) < 1e-13, n);
        }
    }

    /** GQA equals MHA with each kv head repeated for its group of query heads (repeat_kv). */
    @Test
    void gqaIsMhaWithRepeatedKvHeads(@TempDir Path tmp) throws IOException {
        Variant v = RandomCheckpoints.LLAMA_GQA;
        Path dir = RandomCheckpoints.write(tmp.resolve("gqa"), v, 21);
        Map<String, Object> cfg = RandomCheckpoints.hfConfig(v);
        int d = (Integer) cfg.get("hidden_size"), H = (Integer) cfg.get("num_attention_heads");
        int KV = (Integer) cfg.get("num_key_value_heads"), hd = (Integer) cfg.get("head_dim");
        RefSafetensors.Checkpoint g = RefSafetensors.Checkpoint.open(dir);
        Map<String, RefSafetensors.Raw> mha = new LinkedHashMap<>();
        for (String n : g.names()) {
            RefSafetensors.Entry e = g.entry(n);
            if (n.endsWith("k_proj.weight") || n.endsWith("v_proj.weight")) {
                double[] w = g.tensor(n).data(); // [KV*hd, d]
                double[] rep = new double[H * hd * d];
                for (int h = 0; h < H; h++) {
                    System.arraycopy(w, (h / (H / KV)) * hd * d, rep, h * hd * d, hd * d);
                }
                mha.put(n, f32(rep, H * hd, d));
            } else {
                mha.put(n, new RefSafetensors.Raw(e.dtype(), e.shape(), RefSafetensors.readBytes(e)));
            }
        }
        Path mhaDir = Files.createDirectories(tmp.resolve("mha"));
        RefSafetensors.write(mhaDir.resolve("model.safetensors"), mha, Map.of("format", "pt"));
        String json = Files.readString(dir.resolve("config.json"))
                .replace("\"num_key_value_heads\": " + KV + ",", "\"num_key_value_heads\": " + H + ",");
        Files.writeString(mhaDir.resolve("config.json"), json);
        ReferenceModel mhaModel = ReferenceModel.load(mhaDir);
        assertEquals(H, mhaModel.config().numKvHeads());

        int[] tokens = randomTokens(72, 20, 4);
        Trace a = ReferenceModel.load(dir).run(tokens);
        Trace b = mhaModel.run(tokens);
        for (String n : a.names()) assertTrue(a.get(n).relativeError(b.get(n).data()) < 1e-14, n);
    }

    private static RefSafetensors.Raw f32(double[] values, long... shape) {
        return new RefSafetensors.Raw("F32", shape, RefSafetensors.encode(values, "F32"));
    }

    private static double[] transpose(double[] a, int rows, int cols) {
        double[] out = new double[a.length];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
        return out;
    }

    // ------------------------------------------------------------------ rotary, activations

    private static double[] randomVector(int n, long seed) {
        Random r = new Random(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = r.nextGaussian();
        return v;
    }

    /** Linear scaling with factor 2 at position p is unscaled rotary at position p/2. */
    @Test
    void linearScalingFactorTwoIsHalfThePosition() {
        int dim = 16;
        double[] scaled = RefRope.inverseFrequencies(dim, 10000, RefRope.Scaling.linear(2));
        double[] plain = RefRope.inverseFrequencies(dim, 10000, RefRope.Scaling.NONE);
        double[] x = randomVector(dim, 1);
        for (int p = 0; p < 64; p++) {
            double[] a = x.clone();
            double[] b = x.clone();
            RefRope.rotate(a, 0, dim, p, scaled);
            RefRope.rotate(b, 0, dim, p / 2.0, plain);
            assertArrayEquals(b, a, 1e-12, "position " + p);
        }
    }

    /** ⟨R(p)q, R(p')k⟩ depends only on p − p', for every kind of inv_freq. */
    @Test
    void rotaryScoresDependOnlyOnRelativePosition() {
        int dim = 32;
        for (RefRope.Scaling s : List.of(RefRope.Scaling.NONE, RefRope.Scaling.linear(2),
                RefRope.Scaling.llama3(8, 1, 4, 32))) {
            double[] inv = RefRope.inverseFrequencies(dim, 500000, s);
            double[] q = randomVector(dim, 2);
            double[] k = randomVector(dim, 3);
            for (int delta = 0; delta < 10; delta++) {
                double first = Double.NaN;
                for (int p = delta; p < 60; p += 7) {
                    double[] qr = q.clone();
                    double[] kr = k.clone();
                    RefRope.rotate(qr, 0, dim, p, inv);
                    RefRope.rotate(kr, 0, dim, p - delta, inv);
                    double dot = 0;
                    for (int i = 0; i < dim; i++) dot += qr[i] * kr[i];
                    if (Double.isNaN(first)) first = dot;
                    assertEquals(first, dot, 1e-10, s.type() + " delta " + delta + " p " + p);
                }
            }
        }
    }

    /** rotate_half pairs dimension i with i + dim/2 (not 2i with 2i+1) and leaves the non-rotary tail alone. */
    @Test
    void rotaryUsesTheNeoxLayoutOnTheLeadingDims() {
        double[] x = new double[12];
        x[2] = 1; // head starting at offset 2, rotaryDim 4: dims 2..5 rotate, pairs (2,4) and (3,5)
        x[7] = 5;
        double[] inv = {0.5, 0.25};
        RefRope.rotate(x, 2, 4, 3, inv);
        assertEquals(Math.cos(1.5), x[2], 1e-15);
        assertEquals(Math.sin(1.5), x[4], 1e-15);
        assertEquals(0, x[3], 0);
        assertEquals(0, x[5], 0);
        assertEquals(5, x[7], 0);
    }

    /** GPT-J's rotate_every_two pairs dimension 2i with 2i+1, turns pair i by position · inv[i], leaves the tail. */
    @Test
    void gptjRotaryPairsNeighbours() {
        double[] x = new double[12];
        x[2] = 1; // head at offset 2, rotaryDim 4: pairs (2,3) and (4,5)
        x[4] = 2;
        x[7] = 5;
        double[] inv = {0.5, 0.25};
        RefRope.rotateEveryTwo(x, 2, 4, 3, inv);
        assertEquals(Math.cos(1.5), x[2], 1e-15);
        assertEquals(Math.sin(1.5), x[3], 1e-15);
        assertEquals(2 * Math.cos(0.75), x[4], 1e-15);
        assertEquals(2 * Math.sin(0.75), x[5], 1e-15);
        assertEquals(5, x[7], 0);
        // the same rotation as rotate_half once the dimensions are permuted (2i, 2i+1) -> (i, i + dim/2)
        java.util.Random r = new java.util.Random(3);
        double[] a = new double[8], b = new double[8];
        for (int i = 0; i < 4; i++) {
            a[2 * i] = b[i] = r.nextGaussian();
            a[2 * i + 1] = b[i + 4] = r.nextGaussian();
        }
        double[] inv4 = RefRope.inverseFrequencies(8, 10000, RefRope.Scaling.NONE);
        RefRope.rotateEveryTwo(a, 0, 8, 7, inv4);
        RefRope.rotate(b, 0, 8, 7, inv4);
        for (int i = 0; i < 4; i++) {
            assertEquals(b[i], a[2 * i], 1e-15);
            assertEquals(b[i + 4], a[2 * i + 1], 1e-15);
        }
    }

    /** Llama 3.1 bands at head_dim 32, theta 500000, original 32: kept, smoothed, divided by the factor. */
    @Test
    void llama3FrequencyBands() {
        double[] plain = RefRope.inverseFrequencies(32, 500000, RefRope.Scaling.NONE);
        double[] l3 = RefRope.inverseFrequencies(32, 500000, RefRope.Scaling.llama3(8, 1, 4, 32));
        assertEquals(1.0, plain[0], 0);
        assertEquals(plain[0], l3[0], 0); // wavelength 2π < 32/4: high frequency, kept
        double wavelen1 = 2 * Math.PI / plain[1];
        assertTrue(wavelen1 > 8 && wavelen1 < 32, "medium band " + wavelen1);
        double smooth = (32 / wavelen1 - 1) / (4 - 1);
        assertEquals((1 - smooth) * plain[1] / 8 + smooth * plain[1], l3[1], 1e-18);
        assertTrue(l3[1] < plain[1] && l3[1] > plain[1] / 8);
        for (int i = 2; i < 16; i++) assertEquals(plain[i] / 8, l3[i], 1e-18 * plain[i], "low band " + i);
        assertEquals(1.0 / Math.pow(500000, 2.0 / 32), plain[1], 1e-16);
    }

    @Test
    void erfAndGeluMatchKnownValues() {
        // math.erf from CPython (correctly rounded libm)
        assertEquals(0.5204998778130465, ReferenceModel.erf(0.5), 1e-15);
        assertEquals(0.8427007929497149, ReferenceModel.erf(1), 1e-15);
        assertEquals(0.9953222650189527, ReferenceModel.erf(2), 1e-15);
        assertEquals(0.9999779095030014, ReferenceModel.erf(3), 1e-15);
        assertEquals(-0.6778011938374184, ReferenceModel.erf(-0.7), 1e-15);
        assertEquals(1.0, ReferenceModel.erf(7), 0);
        assertEquals(0.8413447460685429, ReferenceModel.activation("gelu", 1.0), 1e-15);
        assertEquals(-0.00404969409489031, ReferenceModel.activation("gelu", -3.0), 1e-15);
        assertEquals(0.8411919906082768, ReferenceModel.activation("gelu_new", 1.0), 1e-15);
        assertEquals(-0.0036373920817729943, ReferenceModel.activation("gelu_new", -3.0), 1e-15);
        assertEquals(2.484915733910001, ReferenceModel.activation("gelu_pytorch_tanh", 2.5), 1e-15);
        assertEquals(1.0 / (1 + Math.exp(-1.0)), ReferenceModel.activation("silu", 1.0), 1e-16);
    }

    // ------------------------------------------------------------------ helpers

    static void assertSameTrace(Trace expected, Trace actual) {
        assertEquals(expected.names(), actual.names());
        for (String n : expected.names()) {
            assertArrayEquals(expected.get(n).shape(), actual.get(n).shape(), n);
            assertArrayEquals(expected.get(n).data(), actual.get(n).data(), n);
        }
    }

    private static void assertRel(double expected, double actual, double rel, String what) {
        assertTrue(Math.abs(actual - expected) <= rel * Math.abs(expected),
                what + ": expected " + expected + ", got " + actual);
    }
}
