package org.mesascope.probes.steer;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.Models;
import org.mesascope.core.reference.RandomCheckpoints;
import org.mesascope.core.reference.RefTensor;
import org.mesascope.core.reference.ReferenceModel;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.IntUnaryOperator;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Steering against the independent float64 reference (core's ReferenceModel, which shares no code with the engine):
 * adding a vector at {@code blocks.l.hook_resid_pre} must change every downstream hook exactly as the reference's
 * forward from layer l, started from the reference's own residual plus the vector, computes it (‖a−b‖/‖b‖ ≤ 1e-5,
 * DESIGN.md's contract); the hooks upstream must not change at all. And the ActAdd and CAA vectors must equal the
 * reference's residual differences (same tolerance).
 */
class SteeringVsReferenceTest {
    static final double TOLERANCE = 1e-5;

    static Stream<RandomCheckpoints.Variant> variants() {
        return Stream.of(RandomCheckpoints.GPT2, RandomCheckpoints.NEOX_PARALLEL, RandomCheckpoints.NEOX_SEQUENTIAL,
                RandomCheckpoints.LLAMA_GQA);
    }

    /** Where the test expects each placement to add which row: written here from the papers, not from Steering. */
    private record Case(String name, Steering steering, IntUnaryOperator rowAt) {
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void steeringChangesDownstreamHooksAsTheReferenceRecomputesThem(RandomCheckpoints.Variant variant, @TempDir Path tmp)
            throws IOException {
        Path dir = RandomCheckpoints.write(tmp.resolve("m"), variant, 5);
        ReferenceModel ref = ReferenceModel.load(dir);
        try (LoadedModel m = Models.load(dir.toString())) {
            int d = m.config().dModel(), layers = m.config().nLayers(), layer = layers / 2;
            String hook = "blocks." + layer + ".hook_resid_pre";
            int[] prompt = randomTokens(new Random(3), 9, m.config().vocabSize());
            double[] clean = ref.run(prompt).get(hook).data();
            double residNorm = rms(clean);

            Random rnd = new Random(17);
            float[] one = gaussian(rnd, d, residNorm), three = gaussian(rnd, 3 * d, residNorm);
            SteeringVector v1 = SteeringVector.of(hook, one, null);
            SteeringVector v3 = new SteeringVector(hook, 3, d, three, null);
            List<Case> cases = List.of(
                    new Case("all positions", Steering.everywhere(v1, 2.5), t -> 0),
                    new Case("from position 4 (CAA)", new Steering(v1, -3.0, new Steering.From(4)), t -> t >= 4 ? 0 : -1),
                    new Case("front, 3 rows (ActAdd)", Steering.actAdd(v3, 4.0), t -> t < 3 ? t : -1),
                    new Case("front from position 2", new Steering(v3, 1.5, new Steering.Front(2)),
                            t -> t >= 2 && t < 5 ? t - 2 : -1));

            Map<String, float[]> unsteered = trace(m, prompt, new HookRegistry());
            for (Case c : cases) {
                // the reference: its own residual plus coefficient × row, in float64, then the rest of its forward
                double[] modified = clean.clone();
                for (int t = 0; t < prompt.length; t++) {
                    int row = c.rowAt.applyAsInt(t);
                    if (row < 0) continue;
                    for (int i = 0; i < d; i++) modified[t * d + i] += c.steering.coefficient() * c.steering.vector().get(row, i);
                }
                ReferenceModel.Trace expected = ref.runFrom(layer, modified, prompt);
                Map<String, float[]> actual = trace(m, prompt, c.steering.registry());
                String where = variant + ", " + c.name;
                for (String name : expected.names()) {
                    RefTensor e = expected.get(name);
                    double err = e.relativeError(actual.get(name));
                    assertTrue(err <= TOLERANCE, where + ": " + name + " relative error " + err);
                }
                // the steering must matter, or the comparison above proves nothing
                double change = expected.logits().relativeError(unsteered.get("logits"));
                assertTrue(change > 1e-2, where + ": steering changed the logits by only " + change);
                // and nothing before the hook may move: same floats, bit for bit
                for (String name : m.model().hookNames()) {
                    if (name.equals(hook)) break;
                    assertEquals(0, java.util.Arrays.compare(unsteered.get(name), actual.get(name)), where + ": " + name + " changed");
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void actAddAndCaaVectorsAreTheReferenceResidualDifferences(RandomCheckpoints.Variant variant, @TempDir Path tmp)
            throws IOException {
        Path dir = RandomCheckpoints.write(tmp.resolve("m"), variant, 8);
        ReferenceModel ref = ReferenceModel.load(dir);
        try (LoadedModel m = Models.load(dir.toString())) {
            int d = m.config().dModel(), vocab = m.config().vocabSize();
            String hook = "blocks." + (m.config().nLayers() - 1) + ".hook_resid_pre";
            Random rnd = new Random(23);

            // ActAdd: the shorter prompt padded with the pad token, the difference kept per position
            int[] plus = randomTokens(rnd, 5, vocab), minus = randomTokens(rnd, 3, vocab);
            int pad = 7;
            SteeringVector actAdd = SteeringVectors.actAdd(m.model(), hook, plus, minus, pad, null);
            assertEquals(5, actAdd.positions());
            double[] hp = ref.run(plus).get(hook).data();
            double[] hm = ref.run(new int[]{minus[0], minus[1], minus[2], pad, pad}).get(hook).data();
            double[] expected = new double[5 * d];
            for (int i = 0; i < expected.length; i++) expected[i] = hp[i] - hm[i];
            double err = new RefTensor(expected, new int[]{5, d}).relativeError(actAdd.values());
            assertTrue(err <= TOLERANCE, variant + " ActAdd: relative error " + err);

            // CAA: pairs of different lengths (so the engine pads within its batches), read at each last token
            int pairs = 20;
            List<int[]> pos = new java.util.ArrayList<>(), neg = new java.util.ArrayList<>();
            double[] mean = new double[d];
            for (int k = 0; k < pairs; k++) {
                int[] p = randomTokens(rnd, 2 + rnd.nextInt(8), vocab), q = randomTokens(rnd, 2 + rnd.nextInt(8), vocab);
                pos.add(p);
                neg.add(q);
                double[] rp = ref.run(p).get(hook).data(), rq = ref.run(q).get(hook).data();
                for (int i = 0; i < d; i++) mean[i] += (rp[(p.length - 1) * d + i] - rq[(q.length - 1) * d + i]) / pairs;
            }
            SteeringVector caa = SteeringVectors.caa(m.model(), hook, pos, neg, null);
            double caaErr = new RefTensor(mean, new int[]{d}).relativeError(caa.values());
            assertTrue(caaErr <= TOLERANCE, variant + " CAA: relative error " + caaErr);
        }
    }

    /** Every hook of one pass over {@code prompt}, batch dimension dropped. */
    static Map<String, float[]> trace(LoadedModel m, int[] prompt, HookRegistry registry) {
        Map<String, float[]> out = new HashMap<>();
        registry.addSink("*", (name, value, batch) -> out.put(name.name(), value.data().clone()));
        out.put("logits", m.model().forward(Batch.of(prompt), registry).data().clone());
        return out;
    }

    static int[] randomTokens(Random rnd, int n, int vocab) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = rnd.nextInt(vocab);
        return t;
    }

    /** Gaussian values whose root-mean-square is {@code scale}: a vector as large as the residual it is added to. */
    static float[] gaussian(Random rnd, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextGaussian() * scale);
        return v;
    }

    static double rms(double[] x) {
        double s = 0;
        for (double v : x) s += v * v;
        return Math.sqrt(s / x.length);
    }
}
