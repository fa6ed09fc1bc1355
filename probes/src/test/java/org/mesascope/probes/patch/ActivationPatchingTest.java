package org.mesascope.probes.patch;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mesascope.core.model.LanguageModel;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.Models;
import org.mesascope.core.reference.RandomCheckpoints;
import org.mesascope.core.reference.RandomCheckpoints.Variant;
import org.mesascope.core.reference.ReferenceModel;
import org.mesascope.core.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Activation patching on the core's random checkpoints of the three architectures: exact identities of the engine
 * (patching with a run's own values, patching a whole residual cut), batching that changes no bit, and every cell of
 * a grid against the float64 reference model patched the same way.
 */
class ActivationPatchingTest {
    static final int T = 8;

    static Stream<Variant> variants() {
        return Stream.of(RandomCheckpoints.GPT2, RandomCheckpoints.NEOX_PARALLEL, RandomCheckpoints.NEOX_SEQUENTIAL,
                RandomCheckpoints.LLAMA_GQA);
    }

    /** A random prompt and the same prompt with positions 2 and 5 changed. */
    static int[][] prompts(int vocab, long seed) {
        Random r = new Random(seed);
        int[] clean = new int[T];
        for (int i = 0; i < T; i++) clean[i] = r.nextInt(vocab);
        int[] corrupted = clean.clone();
        corrupted[2] = (clean[2] + 1 + r.nextInt(vocab - 1)) % vocab;
        corrupted[5] = (clean[5] + 1 + r.nextInt(vocab - 1)) % vocab;
        return new int[][]{clean, corrupted};
    }

    private static List<String> patchable(LanguageModel model) {
        return model.hookNames().stream().filter(PatchHooks::patchable).toList();
    }

    /**
     * (a) Patching every position of every patchable hook with the clean run's own values gives the clean logits bit
     * for bit, as does patching every position of one layer's resid_pre into the corrupted run (the residual stream
     * there is all the later layers see), whose normalized score is therefore exactly 1. All in one batch with an
     * unpatched row, which must give the corrupted logits exactly.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void patchingWithCleanValuesReproducesTheCleanRunExactly(Variant v, @TempDir Path tmp) throws IOException {
        try (LoadedModel m = Models.load(v.name(), RandomCheckpoints.write(tmp, v, 11))) {
            LanguageModel model = m.model();
            int[][] p = prompts(m.config().vocabSize(), 3);
            List<String> hooks = patchable(model);
            ActivationCache clean = ActivationCache.run(model, p[0], hooks);
            ActivationCache corrupted = ActivationCache.run(model, p[1], hooks);
            assertFalse(Arrays.equals(clean.logits().data(), corrupted.logits().data()));

            List<Site> everything = hooks.stream().map(Site::everywhere).toList();
            Tensor own = new Patcher(model, p[0], clean).run(List.of(everything, List.of(), everything));
            for (int b = 0; b < 3; b++) assertArrayEquals(clean.logits().data(), own.select(b).data(), "row " + b);

            List<List<Site>> cuts = new ArrayList<>();
            for (int l = 0; l < m.config().nLayers(); l++) cuts.add(List.of(Site.everywhere("blocks." + l + ".hook_resid_pre")));
            cuts.add(List.of());
            Patcher denoise = new Patcher(model, p[1], clean);
            Tensor patched = denoise.run(cuts);
            for (int l = 0; l < m.config().nLayers(); l++) {
                assertArrayEquals(clean.logits().data(), patched.select(l).data(), "resid_pre of layer " + l);
            }
            assertArrayEquals(corrupted.logits().data(), patched.select(cuts.size() - 1).data(), "unpatched row");

            int answer = 1, wrong = 2;
            double c = clean.metric(Metric.LOGIT_DIFF, answer, wrong), x = corrupted.metric(Metric.LOGIT_DIFF, answer, wrong);
            double[] metrics = denoise.metrics(cuts, Metric.LOGIT_DIFF, answer, wrong);
            for (int l = 0; l < m.config().nLayers(); l++) assertEquals(1.0, (metrics[l] - x) / (c - x), 0.0);
            assertEquals(0.0, (metrics[cuts.size() - 1] - x) / (c - x), 0.0);
        }
    }

    /** A grid computed in batches equals, bit for bit, the same patches run one per pass. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void batchedCellsEqualSingleRuns(Variant v, @TempDir Path tmp) throws IOException {
        try (LoadedModel m = Models.load(v.name(), RandomCheckpoints.write(tmp, v, 12))) {
            LanguageModel model = m.model();
            int[][] p = prompts(m.config().vocabSize(), 4);
            List<String> hooks = new ArrayList<>(PatchHooks.resolve(model.hookNames(), ActivationPatching.DEFAULT_HOOKS));
            for (int l = 0; l < m.config().nLayers(); l++) hooks.add("blocks." + l + ".attn.hook_z");
            ActivationCache clean = ActivationCache.run(model, p[0], hooks);
            List<List<Site>> patches = new ArrayList<>();
            for (String h : hooks) for (int t = 0; t < T; t++) patches.add(List.of(Site.at(h, t)));
            for (int l = 0; l < m.config().nLayers(); l++) {
                for (int h = 0; h < m.config().nHeads(); h++) patches.add(List.of(Site.head(l, h)));
            }
            Patcher patcher = new Patcher(model, p[1], clean);
            assertTrue(patcher.rowsPerPass() > 1);
            double[] batched = patcher.metrics(patches, Metric.PROB, 3, 0);
            for (int i = 0; i < patches.size(); i += 7) { // every 7th: the point is rows at every batch offset
                double alone = patcher.metrics(List.of(patches.get(i)), Metric.PROB, 3, 0)[0];
                assertEquals(alone, batched[i], 0.0, patches.get(i).toString());
            }
        }
    }

    /**
     * Every cell of a grid (default hooks × positions, and every head of hook_z over all positions) against the float64
     * reference run with the same patch: clean values from the reference's own clean run, written into its corrupted
     * run through {@link ReferenceModel.Edit}. The engine is float32 and meets ‖a−b‖/‖b‖ ≤ 1e-5 per hook (DESIGN.md);
     * a logit difference of O(1–10) logits then agrees to ~1e-5 absolute, so each patched metric must agree within
     * 1e-4 · (1 + |reference|), and the normalized score within 1e-4 · (1 + |score|) / |clean − corrupted| (it divides
     * by the gap).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void everyCellMatchesTheFloat64ReferencePatchedTheSameWay(Variant v, @TempDir Path tmp) throws IOException {
        Path dir = RandomCheckpoints.write(tmp, v, 13);
        ReferenceModel ref = ReferenceModel.load(dir);
        try (LoadedModel m = Models.load(v.name(), dir)) {
            int[][] p = prompts(m.config().vocabSize(), 5);
            int vocab = m.config().vocabSize();
            ReferenceModel.Trace refClean = ref.run(p[0]), refCorrupted = ref.run(p[1]);
            // the answer the clean prompt prefers, against the one the corrupted prompt prefers most after it
            int answer = argmax(refClean.logits().row(T - 1), -1);
            int wrong = argmax(refCorrupted.logits().row(T - 1), answer);
            ActivationPatching.Setup setup = ActivationPatching.Setup.of(p[0], p[1], answer, wrong).withHeads(true);
            PatchingReport report = ActivationPatching.run(m, setup);

            double refC = logitDiff(refClean, answer, wrong), refX = logitDiff(refCorrupted, answer, wrong);
            assertEquals(refC, report.cleanMetric(), 1e-4 * (1 + Math.abs(refC)));
            assertEquals(refX, report.corruptedMetric(), 1e-4 * (1 + Math.abs(refX)));
            assertEquals(3 * m.config().nLayers() * T, report.cells().size());
            assertEquals(m.config().nLayers() * m.config().nHeads(), report.headCells().size());
            double worst = 0;
            for (PatchingReport.Cell cell : report.cells()) {
                double[] from = refClean.get(cell.hook()).data();
                int inner = from.length / T;
                ReferenceModel.Trace patched = ref.run(p[1], (hook, value) -> {
                    if (hook.equals(cell.hook())) System.arraycopy(from, cell.position() * inner, value, cell.position() * inner, inner);
                });
                worst = Math.max(worst, check(cell.hook() + " @ " + cell.position(), logitDiff(patched, answer, wrong),
                        cell.patched(), cell.score(), refC, refX));
            }
            int heads = m.config().nHeads(), hd = m.config().headDim();
            for (PatchingReport.HeadCell cell : report.headCells()) {
                String hook = "blocks." + cell.layer() + ".attn.hook_z";
                double[] from = refClean.get(hook).data();
                ReferenceModel.Trace patched = ref.run(p[1], (h, value) -> {
                    if (!h.equals(hook)) return;
                    for (int t = 0; t < T; t++) {
                        int at = (t * heads + cell.head()) * hd;
                        System.arraycopy(from, at, value, at, hd);
                    }
                });
                worst = Math.max(worst, check("head " + cell.layer() + "." + cell.head(), logitDiff(patched, answer, wrong),
                        cell.patched(), cell.score(), refC, refX));
            }
            System.out.printf("%s: worst |engine − reference| of a patched logit difference: %.2e%n", v, worst);
        }
    }

    private static double check(String what, double expected, double patched, double score, double refC, double refX) {
        double err = Math.abs(patched - expected);
        assertTrue(err <= 1e-4 * (1 + Math.abs(expected)), what + ": engine " + patched + ", reference " + expected);
        double refScore = (expected - refX) / (refC - refX);
        assertEquals(refScore, score, 1e-4 * (1 + Math.abs(refScore)) / Math.abs(refC - refX), what + " score");
        return err;
    }

    static double logitDiff(ReferenceModel.Trace tr, int answer, int wrong) {
        double[] last = tr.logits().row(T - 1);
        return last[answer] - last[wrong];
    }

    static int argmax(double[] row, int except) {
        int best = except == 0 ? 1 : 0;
        for (int i = 0; i < row.length; i++) if (i != except && row[i] > row[best]) best = i;
        return best;
    }
}
