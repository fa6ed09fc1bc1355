package org.mesascope.organisms;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The ground truth behind one search prompt: the directed graph in the order its edges are listed, the start and
 * goal, and the path the model should write. Nodes are labels (0 .. nodeLabels-1); {@link SearchFormat} maps them to
 * tokens. The search heuristics read this to know which nodes lie ahead on the path (lookahead probes) and which
 * path a different goal would need (goal retargeting).
 *
 * @param edges the edges, in the order the prompt lists them
 * @param path  start, the nodes in between, goal
 */
public record SearchExample(List<Edge> edges, int start, int goal, int[] path) {

    /** A directed edge {@code from > to}. */
    public record Edge(int from, int to) {
    }

    public SearchExample {
        edges = List.copyOf(edges);
        path = path.clone();
    }

    @Override
    public int[] path() {
        return path.clone();
    }

    /** The prompt and target tokens of this example. */
    public Task.Example encode() {
        return SearchFormat.encode(this);
    }

    /** The nodes reached by one edge from {@code node}, in listing order. */
    public List<Integer> successors(int node) {
        List<Integer> out = new ArrayList<>();
        for (Edge e : edges) if (e.from() == node) out.add(e.to());
        return out;
    }

    public boolean hasEdge(int from, int to) {
        return edges.contains(new Edge(from, to));
    }

    /**
     * A shortest path from {@code from} to {@code to} in this graph (in a path-star graph, the only one); empty when
     * {@code to} cannot be reached. Goal retargeting uses it for the path that a steered goal calls for.
     */
    public int[] shortestPath(int from, int to) {
        return shortestPath(edges, from, to);
    }

    /** Breadth-first search over {@code edges}. */
    static int[] shortestPath(List<Edge> edges, int from, int to) {
        Map<Integer, Integer> parent = new HashMap<>();
        parent.put(from, from);
        ArrayDeque<Integer> queue = new ArrayDeque<>(List.of(from));
        while (!queue.isEmpty() && !parent.containsKey(to)) {
            int node = queue.poll();
            for (Edge e : edges) {
                if (e.from() == node && parent.putIfAbsent(e.to(), node) == null) queue.add(e.to());
            }
        }
        if (!parent.containsKey(to)) return new int[0];
        List<Integer> reversed = new ArrayList<>();
        for (int node = to; node != from; node = parent.get(node)) reversed.add(node);
        reversed.add(from);
        return reversed.reversed().stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SearchExample other && edges.equals(other.edges) && start == other.start
                && goal == other.goal && Arrays.equals(path, other.path);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * (31 * edges.hashCode() + start) + goal) + Arrays.hashCode(path);
    }

    @Override
    public String toString() {
        return "SearchExample[edges=" + edges + ", start=" + start + ", goal=" + goal + ", path="
                + Arrays.toString(path) + "]";
    }
}
