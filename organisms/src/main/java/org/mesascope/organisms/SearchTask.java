package org.mesascope.organisms;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * The search organism's task: find the path to a goal in a path-star graph that is new in every example (Bachmann
 * &amp; Nagarajan 2024, "The pitfalls of next-token prediction").
 * <p>
 * A path-star graph is a center node with {@code arms} arms of {@code armLength} nodes each, edges pointing away
 * from the center. Every example draws fresh, distinct node labels and lists the edges in shuffled order; the start
 * is the center and the goal is the leaf of a random arm. The target is the path center → ... → goal (see
 * {@link SearchFormat}). Every step after the first is a single edge lookup from the node just written; the first is
 * the search: of the center's {@code arms} successors, only the one whose arm ends at the goal is right, and finding
 * it takes {@code armLength - 1} hops back from the goal through edges listed anywhere in the prompt. Because labels
 * and edge order are fresh each time, no fixed table can answer it: a model that guesses gets 1/arms of the paths.
 * <p>
 * Bachmann &amp; Nagarajan report that with teacher forcing a 6-layer GPT fails to beat 1/arms on degree 2, path
 * length 5 and 50 node values: the later path tokens are free lookups (the "Clever Hans cheat"), leaving the first
 * step as the only signal. Hence the query-first format ({@link SearchFormat}) and small defaults, measured with this
 * project's trainer (3 layers, d_model 64, 4 heads, learning rate 3e-3, batches of 64, 2 CPU threads): 3 arms of 2
 * nodes reached 100% exact paths by step 1500 (about 2 minutes), while 3 arms of 3 were still at 3% after 3000 steps.
 * {@link #larger()} then asks for the second hop the model was never trained on.
 */
public final class SearchTask implements SearchGenerator, Evaluation.Measured {
    /** Three arms: the decision is one of three, so guessing gets a third of the paths. */
    public static final int DEFAULT_ARMS = 3;
    /** Two nodes per arm: the first step is the goal's parent, one hop back; three did not train in budget. */
    public static final int DEFAULT_ARM_LENGTH = 2;
    /** Enough labels for {@link #larger()} graphs (13 nodes) with room to vary which labels a graph uses. */
    public static final int DEFAULT_NODE_LABELS = 32;

    private final int arms;
    private final int armLength;
    private final int nodeLabels;
    private final int contextLength;

    /**
     * A task whose context is exactly its examples' length.
     *
     * @param arms       arms of the star, at least 2 (with one arm there is nothing to choose)
     * @param armLength  nodes per arm, at least 2 (with one, the goal itself is the first step)
     * @param nodeLabels distinct node tokens, at least {@code arms * armLength + 1}
     */
    public SearchTask(int arms, int armLength, int nodeLabels) {
        this(arms, armLength, nodeLabels, exampleLength(arms, armLength));
    }

    /**
     * A task whose context is longer than its examples, so that the model trained on it also has positions for
     * larger graphs.
     *
     * @param contextLength at least the examples' length, {@code 3 * arms * armLength + armLength + 8}
     */
    public SearchTask(int arms, int armLength, int nodeLabels, int contextLength) {
        PathStar.check(arms, armLength, nodeLabels);
        int length = exampleLength(arms, armLength);
        if (contextLength < length) {
            throw new IllegalArgumentException(arms + " arms of " + armLength + " take " + length
                    + " tokens, more than a context of " + contextLength);
        }
        this.arms = arms;
        this.armLength = armLength;
        this.nodeLabels = nodeLabels;
        this.contextLength = contextLength;
    }

    /**
     * The task the search organism is trained on: the default sizes, with the context of {@link #larger()} so that
     * the same model can be evaluated on the larger graphs. The positions past the training examples' length are
     * never trained, which is part of what the drop on larger graphs measures.
     */
    public static SearchTask training() {
        return new SearchTask(DEFAULT_ARMS, DEFAULT_ARM_LENGTH, DEFAULT_NODE_LABELS,
                exampleLength(DEFAULT_ARMS + 1, DEFAULT_ARM_LENGTH + 1));
    }

    /**
     * One more arm and one more node per arm, over the same vocabulary: the graphs on which the accuracy drop is
     * measured (one more hop at the decision, one more distractor arm). Its context is its examples' length or this
     * task's context, whichever is longer.
     */
    public SearchTask larger() {
        return new SearchTask(arms + 1, armLength + 1, nodeLabels,
                Math.max(contextLength, exampleLength(arms + 1, armLength + 1)));
    }

    /** Prompt + target tokens of every example: {@code arms * armLength} edges, {@code armLength + 1} path nodes. */
    private static int exampleLength(int arms, int armLength) {
        return SearchFormat.length(arms * armLength, armLength + 1);
    }

    public int arms() {
        return arms;
    }

    public int armLength() {
        return armLength;
    }

    public int nodeLabels() {
        return nodeLabels;
    }

    @Override
    public String name() {
        return "search";
    }

    @Override
    public List<String> vocabulary() {
        return SearchFormat.vocabulary(nodeLabels);
    }

    /** At least the length of every example, which is the same for all. */
    @Override
    public int contextLength() {
        return contextLength;
    }

    @Override
    public SearchExample sampleWithTruth(RandomGenerator random) {
        PathStar star = PathStar.draw(arms, armLength, nodeLabels, random);
        List<SearchExample.Edge> edges = new ArrayList<>(star.edges());
        PathStar.shuffle(edges, random);
        int[] arm = star.arms()[random.nextInt(arms)];
        int[] path = new int[armLength + 1];
        path[0] = star.center();
        System.arraycopy(arm, 0, path, 1, armLength);
        return new SearchExample(edges, star.center(), arm[armLength - 1], path);
    }

    /**
     * A path-star graph: {@code arms[a][0]} is the center's successor on arm a, {@code arms[a][armLength - 1]} its
     * leaf. Shared with the control twin, which draws one and keeps it.
     */
    record PathStar(int center, int[][] arms) {
        static void check(int arms, int armLength, int nodeLabels) {
            if (arms < 2 || armLength < 2) {
                throw new IllegalArgumentException("a path-star search needs at least 2 arms of at least 2 nodes; got "
                        + arms + " arms of " + armLength);
            }
            if (nodeLabels < arms * armLength + 1) {
                throw new IllegalArgumentException(arms + " arms of " + armLength + " nodes need at least "
                        + (arms * armLength + 1) + " node labels; got " + nodeLabels);
            }
        }

        /** A star whose nodes are distinct labels drawn uniformly from {@code 0 .. nodeLabels-1}. */
        static PathStar draw(int arms, int armLength, int nodeLabels, RandomGenerator random) {
            int[] labels = new int[nodeLabels];
            for (int i = 0; i < nodeLabels; i++) labels[i] = i;
            int used = arms * armLength + 1;
            // a partial Fisher-Yates shuffle: labels[0 .. used) become a uniform draw without replacement
            for (int i = 0; i < used; i++) swap(labels, i, i + random.nextInt(nodeLabels - i));
            int[][] armNodes = new int[arms][armLength];
            for (int a = 0; a < arms; a++) System.arraycopy(labels, 1 + a * armLength, armNodes[a], 0, armLength);
            return new PathStar(labels[0], armNodes);
        }

        /** Arm by arm, from the center out; callers shuffle, since this order would give the answer away. */
        List<SearchExample.Edge> edges() {
            List<SearchExample.Edge> edges = new ArrayList<>();
            for (int[] arm : arms) {
                int from = center;
                for (int node : arm) {
                    edges.add(new SearchExample.Edge(from, node));
                    from = node;
                }
            }
            return edges;
        }

        static <T> void shuffle(List<T> list, RandomGenerator random) {
            for (int i = list.size() - 1; i > 0; i--) list.set(i, list.set(random.nextInt(i + 1), list.get(i)));
        }

        private static void swap(int[] a, int i, int j) {
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /**
     * {@code larger_graph_accuracy}: exact paths on {@link #larger()} graphs (one more arm, one more node per arm),
     * which need a search depth the training data never showed: the "measured drop on larger graphs".
     */
    @Override
    public Map<String, Double> measure(Evaluation.Completer model, RandomGenerator heldOut, int n) {
        return Map.of("larger_graph_accuracy", Evaluation.accuracy(larger(), model, heldOut, n));
    }
}
