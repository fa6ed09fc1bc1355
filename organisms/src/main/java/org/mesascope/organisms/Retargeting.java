package org.mesascope.organisms;

import org.mesascope.probes.scan.Bootstrap;
import org.mesascope.probes.scan.Finding;
import org.mesascope.probes.scan.Heuristic;
import org.mesascope.probes.scan.Lookahead;
import org.mesascope.probes.scan.Probed;
import org.mesascope.probes.scan.ResidualRows;
import org.mesascope.probes.scan.ScanSuites;
import org.mesascope.core.hooks.HookPoint;
import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.model.LanguageModel;
import org.mesascope.core.tensor.Tensor;
import org.mesascope.organisms.SearchExample;
import org.mesascope.organisms.SearchFormat;
import org.mesascope.organisms.SearchGenerator;
import org.mesascope.organisms.Task;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Goal retargeting ("retarget the search", after Turner et al. on steering a maze-solving policy's goal): if the model
 * searches toward a goal it represents, moving that representation to another goal should move its path there.
 * <p>
 * The goal's representation at block r's input is read at a site as the mean residual of reference prompts whose goal
 * is each node label: μ_r[g]. For each test prompt with goal g, another leaf g' of the same graph is chosen, and the
 * forward pass is re-run with {@code μ_r[g'] - μ_r[g]} added at the site at {@code blocks.r.hook_resid_pre} (a
 * class-mean difference, the probe-free form of a goal probe's direction). Success: the model's next token at the
 * decision position (the start node written after the prompt, where the path's one decision is taken) becomes the
 * first step of the path to g' (in a path-star graph, the only path). Two sites: the goal slot of the prompt
 * ({@code GOAL g}), the per-row evidence and the score; and the decision position itself, in the details. Score: the
 * success rate at the block where it is highest minus the rate at which the unsteered model already takes that step
 * (a model that guesses an arm at random "succeeds" on about 1/arms of the prompts without steering), with a bootstrap
 * interval over prompts. At block 0 the goal slot's swap is close to
 * editing the goal token; later blocks show how long the search keeps reading the goal from there.
 */
public final class Retargeting implements Heuristic {
    private final SearchGenerator task;
    private final int examples;
    private final long dataSeed;

    public Retargeting(SearchGenerator task, int examples, long dataSeed) {
        this.task = task;
        this.examples = examples;
        this.dataSeed = dataSeed;
    }

    @Override
    public String name() {
        return "retargeting";
    }

    @Override
    public String scoreMeaning() {
        return "share of prompts whose first step moves to another goal's path when the goal slot's class-mean residual"
                + " is swapped for that goal's, at the best block, minus the share that takes that step unsteered";
    }

    /** A test prompt: its sequence and decision position, its goal, another goal and the first step toward that one. */
    private record Case(int[] sequence, int position, int goal, int otherGoal, int otherStep) {
    }

    /** Where the goal token sits in a search prompt: {@code START s GOAL g ...}. */
    static final int GOAL_SLOT = 3;

    @Override
    public Finding run(String modelName, LanguageModel model, long seed) {
        SplittableRandom random = new SplittableRandom(dataSeed);
        List<int[]> refSequences = new ArrayList<>();
        List<Integer> refGoals = new ArrayList<>();
        int[] refPositions = new int[2 * examples], refGoalSlots = new int[2 * examples];
        for (int i = 0; i < 2 * examples; i++) {
            SearchExample e = task.sampleWithTruth(random);
            Task.Example ex = e.encode();
            refSequences.add(ScanSuites.concat(ex.prompt(), ex.target()));
            refPositions[i] = ex.prompt().length;
            refGoalSlots[i] = GOAL_SLOT;
            refGoals.add(SearchFormat.nodeToken(e.goal()));
        }
        List<Case> cases = new ArrayList<>();
        while (cases.size() < examples) {
            SearchExample e = task.sampleWithTruth(random);
            List<Integer> leaves = new ArrayList<>();
            for (SearchExample.Edge edge : e.edges()) {
                if (e.successors(edge.to()).isEmpty() && edge.to() != e.goal()) leaves.add(edge.to());
            }
            if (leaves.isEmpty()) continue;
            int other = leaves.get(random.nextInt(leaves.size()));
            int[] otherPath = e.shortestPath(e.start(), other);
            Task.Example ex = e.encode();
            cases.add(new Case(ScanSuites.concat(ex.prompt(), ex.target()), ex.prompt().length, SearchFormat.nodeToken(e.goal()),
                    SearchFormat.nodeToken(other), SearchFormat.nodeToken(otherPath[1])));
        }

        double[][][] atDecision = ResidualRows.collect(model, new Probed(refSequences, refPositions, null));
        double[][][] atGoal = ResidualRows.collect(model, new Probed(refSequences, refGoalSlots, null));
        int layers = model.config().nLayers(), d = model.config().dModel();
        double[] rate = new double[layers], decisionRate = new double[layers];
        boolean[][] success = new boolean[layers][];
        double baseline = Lookahead.fraction(steer(model, cases, -1, null, d, false));
        int best = 0;
        for (int r = 0; r < layers; r++) {
            success[r] = steer(model, cases, r, classMeans(atGoal[r], refGoals, d), d, true);
            rate[r] = Lookahead.fraction(success[r]);
            if (rate[r] > rate[best]) best = r;
            decisionRate[r] = Lookahead.fraction(steer(model, cases, r, classMeans(atDecision[r], refGoals, d), d, false));
        }
        // a model that picks an arm at random "succeeds" on a share of prompts without any steering: count the change
        double[] values = new double[cases.size()];
        for (int i = 0; i < values.length; i++) values[i] = (success[best][i] ? 1 : 0) - baseline;
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("best_block", best);
        details.put("unsteered_rate", baseline);
        details.put("decision_position_rates", decisionRate);
        details.put("test_prompts", cases.size());
        details.put("reference_prompts", refSequences.size());
        return new Finding(name(), modelName, Bootstrap.mean(values, seed), rate,
                "retargeting success rate, goal slot steered at " + HookPoint.residPre(0).template("{l}"), details);
    }

    /**
     * Whether each case's next token at its decision position is the other goal's first step, with the goal swapped at
     * {@code blocks.row.hook_resid_pre} ({@code row} -1: no steering) at the goal slot or at the decision position. Cases whose goal or other goal has no reference
     * mean count as failures.
     */
    private static boolean[] steer(LanguageModel model, List<Case> cases, int row, Map<Integer, double[]> means, int d,
                                   boolean atGoalSlot) {
        boolean[] ok = new boolean[cases.size()];
        for (int from = 0; from < cases.size(); from += ResidualRows.BATCH) {
            int to = Math.min(cases.size(), from + ResidualRows.BATCH), first = from;
            List<Case> chunk = cases.subList(from, to);
            HookRegistry hooks = new HookRegistry();
            if (row >= 0) {
                hooks.addIntervention(HookPoint.residPre(row).name(), (hook, value, batch) -> {
                    float[] v = value.data();
                    for (int b = 0; b < batch.size(); b++) {
                        Case c = chunk.get(b);
                        double[] target = means.get(c.otherGoal), source = means.get(c.goal);
                        if (target == null || source == null) continue;
                        int at = (b * batch.width() + (atGoalSlot ? GOAL_SLOT : c.position)) * d;
                        for (int j = 0; j < d; j++) v[at + j] += (float) (target[j] - source[j]);
                    }
                    return value;
                });
            }
            Tensor logits = model.forward(Batch.of(chunk.stream().map(Case::sequence).toArray(int[][]::new)), hooks);
            int width = logits.dim(1), vocab = logits.dim(2);
            float[] l = logits.data();
            for (int b = 0; b < chunk.size(); b++) {
                Case c = chunk.get(b);
                int at = (b * width + c.position) * vocab, arg = 0;
                for (int v = 1; v < vocab; v++) if (l[at + v] > l[at + arg]) arg = v;
                boolean known = row < 0 || (means.containsKey(c.goal) && means.containsKey(c.otherGoal));
                ok[first + b] = known && arg == c.otherStep;
            }
        }
        return ok;
    }

    private static Map<Integer, double[]> classMeans(double[][] rows, List<Integer> labels, int d) {
        Map<Integer, double[]> sums = new HashMap<>();
        Map<Integer, Integer> counts = new HashMap<>();
        for (int i = 0; i < rows.length; i++) {
            double[] s = sums.computeIfAbsent(labels.get(i), k -> new double[d]);
            for (int j = 0; j < d; j++) s[j] += rows[i][j];
            counts.merge(labels.get(i), 1, Integer::sum);
        }
        sums.forEach((k, s) -> {
            for (int j = 0; j < d; j++) s[j] /= counts.get(k);
        });
        return sums;
    }
}
