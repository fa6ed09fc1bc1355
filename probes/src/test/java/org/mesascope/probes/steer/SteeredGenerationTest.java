package org.mesascope.probes.steer;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.model.Generation;
import org.mesascope.core.model.LanguageModel;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.Models;
import org.mesascope.core.reference.RandomCheckpoints;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Steering through the KV cache. Generation runs the prompt once, then one position per pass; each pass must add the
 * vector exactly where a full re-run of the whole sequence would. And coefficient 0 must leave the run as it is.
 */
class SteeredGenerationTest {
    static final int NEW_TOKENS = 10;

    static Stream<RandomCheckpoints.Variant> variants() {
        return Stream.of(RandomCheckpoints.GPT2, RandomCheckpoints.NEOX_PARALLEL, RandomCheckpoints.LLAMA_GQA);
    }

    /** The three placements with a vector large enough to change what the model generates. */
    static List<Steering> steerings(LoadedModel m, int promptLength) {
        int d = m.config().dModel();
        String hook = "blocks." + m.config().nLayers() / 2 + ".hook_resid_pre";
        Random rnd = new Random(41);
        SteeringVector one = SteeringVector.of(hook, SteeringVsReferenceTest.gaussian(rnd, d, 1), null);
        SteeringVector three = new SteeringVector(hook, 3, d, SteeringVsReferenceTest.gaussian(rnd, 3 * d, 1), null);
        return List.of(Steering.caa(one, 6, promptLength), Steering.everywhere(one, 6), Steering.actAdd(three, 6));
    }

    /**
     * (b) Greedy generation with the cache against a loop that re-runs the whole sequence without a cache at every
     * step, both steered: the same tokens, and at every step the same next-token logits, bit for bit (the engine's
     * cached pass computes each new row exactly as the full pass does).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void cachedSteeredGenerationEqualsUncachedFullReruns(RandomCheckpoints.Variant variant, @TempDir Path tmp)
            throws IOException {
        Path dir = RandomCheckpoints.write(tmp.resolve("m"), variant, 11);
        try (LoadedModel m = Models.load(dir.toString())) {
            LanguageModel model = m.model();
            int vocab = m.config().vocabSize();
            int[] prompt = SteeringVsReferenceTest.randomTokens(new Random(9), 6, vocab);
            for (Steering s : steerings(m, prompt.length)) {
                List<float[]> cachedSteps = new ArrayList<>();
                HookRegistry cachedHooks = s.registry().addSink("logits", (h, value, batch) -> {
                    int t = batch.length(0) - 1; // the last position this pass computed
                    cachedSteps.add(Arrays.copyOfRange(value.data(), t * vocab, (t + 1) * vocab));
                });
                int[] cached = Generation.greedy(model, prompt, NEW_TOKENS, cachedHooks);

                int[] seq = prompt.clone();
                int[] uncached = new int[NEW_TOKENS];
                for (int step = 0; step < NEW_TOKENS; step++) {
                    float[] logits = model.forward(Batch.of(seq), s.registry()).data(); // no cache: every position again
                    float[] last = Arrays.copyOfRange(logits, (seq.length - 1) * vocab, seq.length * vocab);
                    String where = variant + ", " + s.placement().describe() + ", step " + step;
                    assertArrayEquals(bits(last), bits(cachedSteps.get(step)), where + ": next-token logits differ");
                    uncached[step] = argmax(last);
                    seq = Arrays.copyOf(seq, seq.length + 1);
                    seq[seq.length - 1] = uncached[step];
                }
                assertArrayEquals(uncached, cached, variant + ", " + s.placement().describe());
                // the steering must have changed the continuation, or this comparison proves nothing about it
                assertFalse(Arrays.equals(cached, Generation.greedy(model, prompt, NEW_TOKENS, new HookRegistry())),
                        variant + ", " + s.placement().describe() + ": steering left the continuation unchanged");
            }
        }
    }

    /** (c) Coefficient 0: every hook of the pass and every generated token, bit for bit as with no steering at all. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void coefficientZeroReproducesTheUnsteeredRunBitExactly(RandomCheckpoints.Variant variant, @TempDir Path tmp)
            throws IOException {
        Path dir = RandomCheckpoints.write(tmp.resolve("m"), variant, 12);
        try (LoadedModel m = Models.load(dir.toString())) {
            int[] prompt = SteeringVsReferenceTest.randomTokens(new Random(10), 7, m.config().vocabSize());
            Map<String, float[]> plain = SteeringVsReferenceTest.trace(m, prompt, new HookRegistry());
            int[] plainIds = Generation.greedy(m.model(), prompt, NEW_TOKENS, new HookRegistry());
            for (Steering steered : steerings(m, prompt.length)) {
                Steering zero = steered.withCoefficient(0);
                String where = variant + ", " + zero.placement().describe();
                Map<String, float[]> traced = SteeringVsReferenceTest.trace(m, prompt, zero.registry());
                assertEquals(plain.keySet(), traced.keySet(), where);
                for (String hook : plain.keySet()) {
                    assertArrayEquals(bits(plain.get(hook)), bits(traced.get(hook)), where + ": " + hook);
                }
                assertArrayEquals(plainIds, SteeredRuns.generate(m.model(), prompt, NEW_TOKENS, zero), where);
                // while the same steering with its coefficient does change the pass
                Map<String, float[]> changed = SteeringVsReferenceTest.trace(m, prompt, steered.registry());
                assertFalse(Arrays.equals(bits(plain.get("logits")), bits(changed.get("logits"))), where);
            }
        }
    }

    static int[] bits(float[] x) {
        int[] out = new int[x.length];
        for (int i = 0; i < x.length; i++) out[i] = Float.floatToRawIntBits(x[i]);
        return out;
    }

    /** The first highest logit, as torch.argmax and core's Generation. */
    static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    static void assertClose(double expected, double actual, double tol, String what) {
        assertTrue(Math.abs(expected - actual) <= tol, what + ": " + actual + " vs " + expected);
    }
}
