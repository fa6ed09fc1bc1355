package org.mesascope.core.model;

import org.mesascope.core.tensor.KvCache;
import org.mesascope.core.tensor.Batch;
import org.junit.jupiter.api.Test;
import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.reference.RefTensor;
import org.mesascope.core.reference.ReferenceModel;
import org.mesascope.core.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Batching with padding, interventions and the KV cache, each checked against runs that do without them. */
class BatchAndInterventionTest {

    /** Three prompts of different lengths in one batch: per sequence, every hook as when run alone (≤ 1e-6). */
    static void assertBatchEqualsSingles(LanguageModel model, int[]... prompts) {
        EngineTrace batched = EngineTrace.run(model, prompts);
        for (int b = 0; b < prompts.length; b++) {
            Map<String, Tensor> alone = EngineTrace.run(model, prompts[b]).only();
            assertEquals(alone.keySet(), batched.hooks.get(b).keySet());
            for (var e : alone.entrySet()) {
                Tensor got = batched.hooks.get(b).get(e.getKey());
                assertArrayEquals(e.getValue().shape(), got.shape(), e.getKey());
                double err = relativeError(got.data(), e.getValue().data());
                assertTrue(err <= 1e-6, "sequence " + b + " " + e.getKey() + ": " + err);
            }
        }
    }

    /** Replacing every hook's tensor with itself (a copy) changes nothing, bit for bit. */
    static void assertIdentityInterventionIsNeutral(LanguageModel model, int[] prompt) {
        Tensor plain = model.forward(Batch.of(prompt), new HookRegistry());
        Tensor copied = model.forward(Batch.of(prompt), new HookRegistry().addIntervention("*", (h, v, b) -> v.copy()));
        assertArrayEquals(plain.data(), copied.data());
    }

    /** Replacing blocks.l.hook_resid_pre with a given residual gives what the reference computes from it onward. */
    static void assertResidPrePatchMatchesReference(Path dir, LanguageModel model, int[] prompt, int layer) throws IOException {
        int d = model.config().dModel();
        Random rnd = new Random(7);
        double[] given = new double[prompt.length * d];
        for (int i = 0; i < given.length; i++) given[i] = rnd.nextGaussian();
        float[] givenF = new float[given.length];
        for (int i = 0; i < given.length; i++) {
            givenF[i] = (float) given[i];
            given[i] = givenF[i]; // the reference starts from exactly the float32 values the engine gets
        }
        String hook = "blocks." + layer + ".hook_resid_pre";
        HookRegistry patch = new HookRegistry().addIntervention(hook, (h, v, b) -> new Tensor(givenF.clone(), v.shape()));
        EngineTrace actual = new EngineTrace(model, Batch.of(prompt), patch);
        ReferenceModel.Trace expected = ReferenceModel.load(dir).runFrom(layer, given, prompt);
        for (String name : expected.names()) {
            RefTensor ref = expected.get(name);
            double err = ref.relativeError(actual.only().get(name).data());
            assertTrue(err <= ForwardVsReferenceTest.TOLERANCE, "after patching " + hook + ", " + name + ": " + err);
        }
    }

    /** Logits of a pass fed one token at a time through the KV cache equal those of one full pass. */
    static void assertCacheMatchesFullPass(LanguageModel model, int[] prompt) {
        int v = model.config().vocabSize();
        Tensor full = model.forward(Batch.of(prompt), new HookRegistry());
        KvCache cache = model.newCache(1, prompt.length);
        int split = prompt.length / 2; // the first half at once, then one by one
        Tensor first = model.forward(Batch.of(java.util.Arrays.copyOf(prompt, split)), new HookRegistry(), cache);
        for (int t = 0; t < prompt.length; t++) {
            Tensor step = t < split ? first
                    : model.forward(Batch.continuing(cache.lengths(), new int[]{prompt[t]}), new HookRegistry(), cache);
            int row = t < split ? t : 0;
            float[] got = java.util.Arrays.copyOfRange(step.data(), row * v, (row + 1) * v);
            float[] want = java.util.Arrays.copyOfRange(full.data(), t * v, (t + 1) * v);
            assertTrue(relativeError(got, want) <= 1e-5, "position " + t + ": " + relativeError(got, want));
        }
    }

    static double relativeError(float[] a, float[] b) {
        double diff = 0, ref = 0;
        for (int i = 0; i < a.length; i++) {
            if (!Float.isFinite(a[i])) return Double.POSITIVE_INFINITY;
            diff += (double) (a[i] - b[i]) * (a[i] - b[i]);
            ref += (double) b[i] * b[i];
        }
        return ref == 0 ? (diff == 0 ? 0 : Double.POSITIVE_INFINITY) : Math.sqrt(diff / ref);
    }

    @Test
    void stories260k() throws IOException {
        Path dir = ForwardVsReferenceTest.stories();
        try (LoadedModel m = Models.load(dir.toString())) {
            int[] p = ForwardVsReferenceTest.STORIES_PROMPT;
            assertBatchEqualsSingles(m.model(), p, new int[]{1, 403}, java.util.Arrays.copyOf(p, 7));
            assertIdentityInterventionIsNeutral(m.model(), p);
            assertResidPrePatchMatchesReference(dir, m.model(), p, 2);
            assertCacheMatchesFullPass(m.model(), p);
        }
    }
}
