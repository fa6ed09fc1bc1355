package org.mesascope.organisms;

import java.util.ArrayList;
import java.util.List;

/**
 * How a graph-search example is written as tokens, shared by {@link SearchTask} and its control twin so that the two
 * models see one format and one vocabulary:
 * <pre>
 *   prompt: START n11 GOAL n2 | n4 &gt; n17 n9 &gt; n2 ... n11 &gt; n4 PATH
 *   target: n11 n4 n17 n9 n2 END
 * </pre>
 * The query comes first, then {@code |} and the edges, three tokens {@code from > to} each, then {@code PATH}; the
 * target is the whole path, start included, then {@code END}.
 * <p>
 * Why the query first: Saparov et al. (2024) and Bachmann &amp; Nagarajan (2024) put the graph first, but Frydenlund
 * (2024, "The mystery of the pathological path-star task") finds that moving the query before the graph makes the
 * path-star task much easier to learn, since with causal attention every edge can then be read knowing the goal. We
 * saw the same with this project's trainer (3 layers, d_model 64, 3 arms of 2 nodes): with the query last the
 * decision stayed at chance for 3000 steps; with it first, 100% of paths were right by step 1500.
 * <p>
 * The six separators take ids 0..5 and node label {@code i} is token {@code "n" + i} with id {@code 6 + i}, so a
 * token id means the same thing whatever the number of node labels.
 */
public final class SearchFormat {
    /** Ends the query and begins the edge list. */
    public static final int EDGE_LIST = 0;
    public static final int ARROW = 1;
    public static final int START = 2;
    public static final int GOAL = 3;
    public static final int PATH = 4;
    public static final int END = 5;
    /** The id of node label 0. */
    public static final int FIRST_NODE = 6;

    private static final List<String> SEPARATORS = List.of("|", ">", "START", "GOAL", "PATH", "END");
    /** Tokens of the prompt besides the edges: START s GOAL g | and PATH. */
    private static final int FRAME_TOKENS = 6;

    private SearchFormat() {
    }

    /** The separators, then {@code n0 .. n(nodeLabels-1)}. */
    public static List<String> vocabulary(int nodeLabels) {
        List<String> words = new ArrayList<>(SEPARATORS);
        for (int i = 0; i < nodeLabels; i++) words.add("n" + i);
        return List.copyOf(words);
    }

    public static int nodeToken(int label) {
        return FIRST_NODE + label;
    }

    /** The node label of a token id; -1 for a separator. */
    public static int nodeLabel(int token) {
        return token >= FIRST_NODE ? token - FIRST_NODE : -1;
    }

    /** Prompt + target length of a graph with {@code edges} edges and a path of {@code pathNodes} nodes. */
    public static int length(int edges, int pathNodes) {
        return 3 * edges + FRAME_TOKENS + pathNodes + 1;
    }

    public static Task.Example encode(SearchExample example) {
        List<SearchExample.Edge> edges = example.edges();
        int[] prompt = new int[3 * edges.size() + FRAME_TOKENS];
        int t = 0;
        prompt[t++] = START;
        prompt[t++] = nodeToken(example.start());
        prompt[t++] = GOAL;
        prompt[t++] = nodeToken(example.goal());
        prompt[t++] = EDGE_LIST;
        for (SearchExample.Edge e : edges) {
            prompt[t++] = nodeToken(e.from());
            prompt[t++] = ARROW;
            prompt[t++] = nodeToken(e.to());
        }
        prompt[t] = PATH;
        int[] path = example.path();
        int[] target = new int[path.length + 1];
        for (int i = 0; i < path.length; i++) target[i] = nodeToken(path[i]);
        target[path.length] = END;
        return new Task.Example(prompt, target);
    }

    /**
     * Reads the graph, start and goal back from a prompt, and finds the path by breadth-first search over the listed
     * edges: the ground truth of any prompt in this format, including ones a user wrote.
     *
     * @throws IllegalArgumentException when the prompt is not in this format
     */
    public static SearchExample decode(int[] prompt) {
        int edgeTokens = prompt.length - FRAME_TOKENS;
        if (edgeTokens < 0 || edgeTokens % 3 != 0) {
            throw new IllegalArgumentException("a search prompt is 3 tokens per edge + " + FRAME_TOKENS
                    + " others; got " + prompt.length + " tokens");
        }
        expect(prompt, 0, START);
        expect(prompt, 2, GOAL);
        expect(prompt, 4, EDGE_LIST);
        expect(prompt, prompt.length - 1, PATH);
        int start = node(prompt, 1);
        int goal = node(prompt, 3);
        List<SearchExample.Edge> edges = new ArrayList<>();
        for (int t = 5; t < 5 + edgeTokens; t += 3) {
            expect(prompt, t + 1, ARROW);
            edges.add(new SearchExample.Edge(node(prompt, t), node(prompt, t + 2)));
        }
        return new SearchExample(edges, start, goal, SearchExample.shortestPath(edges, start, goal));
    }

    private static void expect(int[] prompt, int at, int token) {
        if (prompt[at] != token) {
            throw new IllegalArgumentException("token " + at + " of a search prompt must be "
                    + SEPARATORS.get(token) + "; it is id " + prompt[at]);
        }
    }

    private static int node(int[] prompt, int at) {
        int label = nodeLabel(prompt[at]);
        if (label < 0) throw new IllegalArgumentException("token " + at + " of a search prompt must be a node; it is id " + prompt[at]);
        return label;
    }
}
