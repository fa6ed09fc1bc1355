package org.mesascope.probes.lens;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.Models;
import org.mesascope.core.reference.RandomCheckpoints;
import org.mesascope.core.reference.RefTensor;
import org.mesascope.core.reference.ReferenceModel;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The logit lens against a float64 reference lens built only from core's independent reference model
 * (org.mesascope.core.reference): the reference's own residual rows through the reference's final norm and
 * unembedding, softmax, entropy and KL in double, written here without the engine's code.
 *
 * <p>Tolerances: probabilities (top-k and target) within 1e-4 absolute; entropy and KL within 1e-4 relative, or
 * 1e-4 absolute where the reference value is below 1. The top-1 token must be the reference's most probable one,
 * or tie with it within 1e-6 in probability (then float32 rounding may pick either).
 */
class LogitLensVsReferenceTest {
    static final double PROB_TOL = 1e-4;
    static final double NATS_TOL = 1e-4;
    static final double TIE = 1e-6;
    static final int TOP_K = 5;

    @TempDir
    Path tmp;

    static List<RandomCheckpoints.Variant> variants() {
        return List.of(RandomCheckpoints.GPT2, RandomCheckpoints.NEOX_PARALLEL, RandomCheckpoints.NEOX_SEQUENTIAL,
                RandomCheckpoints.LLAMA_GQA, RandomCheckpoints.QWEN2);
    }

    @ParameterizedTest
    @MethodSource("variants")
    void randomCheckpoint(RandomCheckpoints.Variant variant) throws IOException {
        Path dir = RandomCheckpoints.write(tmp.resolve(variant.name()), variant, 42);
        assertMatchesReference(dir, new int[] {3, 17, 5, 41, 0, 9, 22, 3, 30, 11, 7, 50});
    }

    @Test
    void stories260k() throws IOException {
        assertMatchesReference(Fixtures.stories260k(), Fixtures.STORIES_TOKENS);
    }

    private static void assertMatchesReference(Path dir, int[] tokens) throws IOException {
        ReferenceModel ref = ReferenceModel.load(dir);
        ReferenceModel.Trace trace = ref.run(tokens);
        int layers = ref.config().numLayers();
        LensReport report;
        try (LoadedModel m = Models.load("under-test", dir)) {
            report = LogitLens.run(m, tokens, TOP_K, null);
        }
        assertEquals(layers + 1, report.rows().size(), "L+1 rows");

        for (int r = 0; r <= layers; r++) {
            String hook = r < layers ? "blocks." + r + ".hook_resid_pre" : "blocks." + (layers - 1) + ".hook_resid_post";
            LensReport.Row row = report.rows().get(r);
            assertEquals(hook, row.hook());
            RefTensor resid = trace.get(hook);
            for (int t = 0; t < tokens.length; t++) {
                String where = dir.getFileName() + " " + hook + " position " + t;
                double[] p = softmax(ref.unembed(resid.row(t)));
                double[] fin = softmax(trace.logits().row(t));
                LensReport.Position actual = row.positions().get(t);

                LensReport.Top top1 = actual.top().getFirst();
                assertTrue(p[top1.id()] >= max(p) - TIE, where + ": top-1 " + top1.id() + " is not the reference's");
                for (LensReport.Top top : actual.top()) {
                    assertEquals(p[top.id()], top.prob(), PROB_TOL, where + " prob of " + top.id());
                }
                assertNats(entropy(p), actual.entropy(), where + " entropy");
                assertNats(kl(fin, p), actual.klToFinal(), where + " KL");
                if (t + 1 < tokens.length) {
                    assertEquals(tokens[t + 1], actual.target().id(), where + " target is the next token");
                    assertEquals(p[tokens[t + 1]], actual.target().prob(), PROB_TOL, where + " target prob");
                } else {
                    assertNull(actual.target(), where + ": the last position has no next token");
                }
            }
        }
    }

    private static void assertNats(double expected, double actual, String what) {
        assertEquals(expected, actual, NATS_TOL * Math.max(1, Math.abs(expected)), what);
    }

    private static double max(double[] x) {
        double m = Double.NEGATIVE_INFINITY;
        for (double v : x) m = Math.max(m, v);
        return m;
    }

    private static double[] softmax(double[] logits) {
        double m = max(logits), sum = 0;
        double[] p = new double[logits.length];
        for (int i = 0; i < p.length; i++) sum += p[i] = Math.exp(logits[i] - m);
        for (int i = 0; i < p.length; i++) p[i] /= sum;
        return p;
    }

    private static double entropy(double[] p) {
        double h = 0;
        for (double v : p) if (v > 0) h -= v * Math.log(v);
        return h;
    }

    /** KL(p ‖ q). */
    private static double kl(double[] p, double[] q) {
        double s = 0;
        for (int i = 0; i < p.length; i++) if (p[i] > 0) s += p[i] * Math.log(p[i] / q[i]);
        return s;
    }
}
