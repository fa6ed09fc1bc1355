package org.mesascope.organisms;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * The search organism's control twin: the same format, vocabulary and context length as {@link SearchTask}, but one
 * path-star graph, fixed at construction from a seed, behind every example. The queries are random (start, goal)
 * pairs of that graph with a path between them (the center or any arm node as start, any node further out on the same
 * arm as goal), so the answer is a function of (start, goal) alone and a table of them suffices: a model can
 * solve this without reading the edge list, let alone searching it.
 * <p>
 * The edges are still shuffled in every prompt, so the prompts look like the search task's and a heuristic that
 * separates the two must see how the model computes, not what it reads.
 */
public final class SearchControlTask implements SearchGenerator {
    private final SearchTask twin;
    private final List<SearchExample.Edge> graph;
    /** Every path in the graph of at least one edge: the possible answers. */
    private final List<int[]> paths;

    /** The control for {@link SearchTask#training()}; {@code graphSeed} picks the graph. */
    public SearchControlTask(long graphSeed) {
        this(SearchTask.training(), graphSeed);
    }

    /** The control for {@code twin}: its sizes, vocabulary and context; {@code graphSeed} picks the graph. */
    public SearchControlTask(SearchTask twin, long graphSeed) {
        this.twin = twin;
        int armLength = twin.armLength();
        SearchTask.PathStar star = SearchTask.PathStar.draw(twin.arms(), armLength, twin.nodeLabels(),
                new SplittableRandom(graphSeed));
        this.graph = List.copyOf(star.edges());
        List<int[]> all = new ArrayList<>();
        for (int[] arm : star.arms()) {
            int[] line = new int[armLength + 1];
            line[0] = star.center();
            System.arraycopy(arm, 0, line, 1, armLength);
            for (int from = 0; from < line.length; from++) {
                for (int to = from + 1; to < line.length; to++) all.add(Arrays.copyOfRange(line, from, to + 1));
            }
        }
        this.paths = List.copyOf(all);
    }

    /** The fixed graph's edges, arm by arm from the center out. */
    public List<SearchExample.Edge> graph() {
        return graph;
    }

    /** How many (start, goal) queries the graph has: the size of the answer table. */
    public int queries() {
        return paths.size();
    }

    /** The search task this is the control of. */
    public SearchTask twin() {
        return twin;
    }

    @Override
    public String name() {
        return "search-control";
    }

    @Override
    public List<String> vocabulary() {
        return twin.vocabulary();
    }

    /** The twin's; queries shorter than center-to-leaf leave part of it unused. */
    @Override
    public int contextLength() {
        return twin.contextLength();
    }

    @Override
    public SearchExample sampleWithTruth(RandomGenerator random) {
        List<SearchExample.Edge> edges = new ArrayList<>(graph);
        SearchTask.PathStar.shuffle(edges, random);
        int[] path = paths.get(random.nextInt(paths.size()));
        return new SearchExample(edges, path[0], path[path.length - 1], path);
    }
}
