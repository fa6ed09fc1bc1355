package org.mesascope.probes.scan;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.Models;
import org.mesascope.core.reference.RandomCheckpoints;
import org.mesascope.core.reference.RefTensor;
import org.mesascope.core.reference.ReferenceModel;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The heuristics on a random GPT-2 (vocabulary 80, 3 layers, d 48) against float64 references and planted signals. */
class HeuristicsTest {
    @TempDir
    static Path tmp;
    static Path dir;

    @BeforeAll
    static void checkpoint() throws IOException {
        dir = RandomCheckpoints.write(tmp.resolve("gpt2"), RandomCheckpoints.GPT2, 7);
    }

    private static List<int[]> randomSequences(SplittableRandom r, int n, int length, int vocab) {
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] s = new int[length];
            for (int t = 0; t < length; t++) s[t] = r.nextInt(vocab);
            out.add(s);
        }
        return out;
    }

    private static double[] softmaxLog(double[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : logits) max = Math.max(max, v);
        double sum = 0;
        for (double v : logits) sum += Math.exp(v - max);
        double lse = max + Math.log(sum);
        double[] out = new double[logits.length];
        for (int i = 0; i < out.length; i++) out[i] = logits[i] - lse;
        return out;
    }

    /** Per-row mean KL and mean prediction depth, recomputed from the float64 reference forward. */
    @Test
    void refinementMatchesTheFloat64Reference() throws IOException {
        SplittableRandom r = new SplittableRandom(1);
        List<int[]> seqs = randomSequences(r, 12, 9, 80);
        int[] positions = new int[seqs.size()];
        for (int i = 0; i < positions.length; i++) positions[i] = r.nextInt(9);
        ReferenceModel ref = ReferenceModel.load(dir);
        int layers = ref.config().numLayers();
        double[] meanKl = new double[layers + 1];
        double meanDepth = 0;
        for (int i = 0; i < seqs.size(); i++) {
            ReferenceModel.Trace trace = ref.run(seqs.get(i));
            int t = positions[i];
            double[] fin = softmaxLog(trace.logits().row(t));
            int[] top = new int[layers + 1];
            for (int row = 0; row <= layers; row++) {
                String hook = row < layers ? "blocks." + row + ".hook_resid_pre" : "blocks." + (layers - 1) + ".hook_resid_post";
                RefTensor resid = trace.get(hook);
                double[] lp = softmaxLog(ref.unembed(resid.row(t)));
                double kl = 0;
                for (int v = 0; v < lp.length; v++) kl += Math.exp(fin[v]) * (fin[v] - lp[v]);
                meanKl[row] += kl / seqs.size();
                int best = 0, second = -1;
                for (int v = 1; v < lp.length; v++) if (lp[v] > lp[best]) best = v;
                for (int v = 0; v < lp.length; v++) if (v != best && (second < 0 || lp[v] > lp[second])) second = v;
                assertTrue(lp[best] - lp[second] > 1e-4, "a near-tie at example " + i + " row " + row + ": pick another seed");
                top[row] = best;
            }
            int settled = layers;
            while (settled > 0 && top[settled - 1] == top[layers]) settled--;
            meanDepth += (double) settled / layers / seqs.size();
        }
        try (LoadedModel m = Models.load("random", dir)) {
            Finding f = new Refinement(new Probed(seqs, positions, null)).run("random", m.model(), 0);
            assertEquals(meanDepth, f.score().value(), 1e-12);
            for (int row = 0; row <= layers; row++) assertEquals(meanKl[row], f.perRow()[row], 1e-4 * (1 + meanKl[row]), "row " + row);
        }
    }

    /** Sequences where the token two ahead repeats the current one: the embedding row carries it, a permuted probe cannot. */
    @Test
    void lookaheadFindsAPlantedFutureToken() {
        SplittableRandom r = new SplittableRandom(2);
        List<int[]> seqs = new ArrayList<>();
        int n = 240;
        int[] positions = new int[n];
        for (int i = 0; i < n; i++) {
            int a = 10 + r.nextInt(6), b = r.nextInt(80);
            seqs.add(new int[]{r.nextInt(80), a, b, a, r.nextInt(80)});
            positions[i] = 1;
        }
        try (LoadedModel m = Models.load("random", dir)) {
            Finding f = new Lookahead(new Probed(seqs, positions, null)).run("random", m.model(), 0);
            double[] control = (double[]) f.details().get("control_probe_accuracy");
            assertTrue(f.perRow()[0] > 0.95, "row 0 probe accuracy " + f.perRow()[0]);
            assertTrue(control[0] < 0.4, "permuted-label probe " + control[0]);  // chance is 1/6
            assertTrue(f.score().low() > 0.5, f.score().format());
        }
    }

    /** Suspect prompts end in one of 4 tokens clean ones never end in: row 0 (embedding + position) separates them. */
    @Test
    void detectorsFindAPlantedAnomalyAndNotANullOne() {
        SplittableRandom r = new SplittableRandom(3);
        List<int[]> reference = new ArrayList<>(), graded = new ArrayList<>(), nullGraded = new ArrayList<>(),
                positive = new ArrayList<>(), negative = new ArrayList<>();
        boolean[] suspect = new boolean[160];
        for (int i = 0; i < 120; i++) reference.add(new int[]{r.nextInt(80), r.nextInt(80), r.nextInt(40)});
        for (int i = 0; i < 160; i++) {
            suspect[i] = i % 2 == 0;
            graded.add(new int[]{r.nextInt(80), r.nextInt(80), suspect[i] ? 40 + r.nextInt(4) : r.nextInt(40)});
            nullGraded.add(new int[]{r.nextInt(80), r.nextInt(80), r.nextInt(40)});
        }
        for (int i = 0; i < 60; i++) {
            positive.add(new int[]{r.nextInt(80), 40 + r.nextInt(4)});
            negative.add(new int[]{r.nextInt(80), r.nextInt(40)});
        }
        Probed ref = new Probed(reference, ScanSuites.lastPositions(reference), null);
        Probed planted = new Probed(graded, ScanSuites.lastPositions(graded), suspect);
        Probed none = new Probed(nullGraded, ScanSuites.lastPositions(nullGraded), suspect);
        try (LoadedModel m = Models.load("random", dir)) {
            Finding anomaly = new AnomalyDetector(ref, planted).run("random", m.model(), 0);
            assertTrue(anomaly.perRow()[0] > 0.95, "row 0 AUROC " + anomaly.perRow()[0]);
            Finding nullAnomaly = new AnomalyDetector(ref, none).run("random", m.model(), 0);
            for (double a : nullAnomaly.perRow()) assertEquals(0.5, a, 0.15, "AUROC without a signal");
            assertTrue(nullAnomaly.score().low() < 0.5 && 0.5 < nullAnomaly.score().high(), nullAnomaly.score().format());

            Probed pos = new Probed(positive, ScanSuites.lastPositions(positive), null);
            Probed neg = new Probed(negative, ScanSuites.lastPositions(negative), null);
            Finding contrast = new ContrastDetector(pos, neg, planted, "planted").run("random", m.model(), 0);
            assertTrue(contrast.perRow()[0] > 0.95, "row 0 AUROC " + contrast.perRow()[0]);

            // the pairs' sides swapped: the signed probe points the wrong way, the two-sided one does not care
            Finding swapped = new ContrastDetector(neg, pos, planted, "swapped").run("random", m.model(), 0);
            assertTrue(swapped.perRow()[0] < 0.05, "row 0 AUROC " + swapped.perRow()[0]);
            for (Probed[] sides : new Probed[][]{{pos, neg}, {neg, pos}}) {
                Finding two = new ContrastDetector(sides[0], sides[1], planted, ref, "two-sided").run("random", m.model(), 0);
                assertEquals("contrast-probe-two-sided", two.heuristic());
                assertEquals(twoSidedAuroc(m, sides[0], sides[1], ref, planted), two.perRow()[0], 1e-12);
                assertTrue(two.perRow()[0] > 0.95, "row 0 AUROC " + two.perRow()[0]);
            }
            Finding twoNull = new ContrastDetector(pos, neg, none, ref, "two-sided").run("random", m.model(), 0);
            for (double a : twoNull.perRow()) assertEquals(0.5, a, 0.15, "AUROC without a signal");
        }
    }

    /** Row 0 of the two-sided contrast score, recomputed: the AUROC of |z| by counting pairs (ties count half). */
    private static double twoSidedAuroc(LoadedModel m, Probed pos, Probed neg, Probed ref, Probed graded) {
        double[][] p = ResidualRows.collect(m.model(), pos)[0], n = ResidualRows.collect(m.model(), neg)[0];
        double[][] c = ResidualRows.collect(m.model(), ref)[0], g = ResidualRows.collect(m.model(), graded)[0];
        int d = p[0].length;
        double[] direction = new double[d];
        for (int j = 0; j < d; j++) {
            double a = 0, b = 0;
            for (double[] x : p) a += x[j];
            for (double[] x : n) b += x[j];
            direction[j] = a / p.length - b / n.length;
        }
        double[] cleanProjection = new double[c.length];
        for (int i = 0; i < c.length; i++) for (int j = 0; j < d; j++) cleanProjection[i] += direction[j] * c[i][j];
        double mean = java.util.Arrays.stream(cleanProjection).average().orElseThrow(), ss = 0;
        for (double x : cleanProjection) ss += (x - mean) * (x - mean);
        double sd = Math.sqrt(ss / (c.length - 1));
        List<Double> suspectScores = new ArrayList<>(), cleanScores = new ArrayList<>();
        for (int i = 0; i < g.length; i++) {
            double proj = 0;
            for (int j = 0; j < d; j++) proj += direction[j] * g[i][j];
            (graded.suspect()[i] ? suspectScores : cleanScores).add(Math.abs(proj - mean) / sd);
        }
        double wins = 0;
        for (double a : suspectScores) for (double b : cleanScores) wins += a > b ? 1 : a == b ? 0.5 : 0;
        return wins / (suspectScores.size() * cleanScores.size());
    }
}
