package org.mesascope.organisms;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.ToIntFunction;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The search generator: well-formed path-star graphs, correct paths, and no way to the answer but search. */
class SearchTaskTest {
    private static final SearchTask TASK = SearchTask.training();

    /** Every simple path from {@code node} to {@code goal}, counted by depth-first search over the listed edges. */
    private static int countPaths(SearchExample e, int node, int goal, Set<Integer> visited) {
        if (node == goal) return 1;
        int count = 0;
        for (int next : e.successors(node)) {
            if (visited.add(next)) {
                count += countPaths(e, next, goal, visited);
                visited.remove(next);
            }
        }
        return count;
    }

    @Test
    void pathsFollowEdgesToTheGoalAndAreTheOnlyOnes() {
        for (SearchTask task : List.of(TASK, TASK.larger())) {
            int k = task.arms();
            int m = task.armLength();
            SplittableRandom random = new SplittableRandom(1);
            for (int n = 0; n < 2000; n++) {
                SearchExample e = task.sampleWithTruth(random);
                int[] path = e.path();
                assertEquals(k * m, e.edges().size());
                assertEquals(m + 1, path.length);
                assertEquals(e.start(), path[0]);
                assertEquals(e.goal(), path[m]);
                for (int i = 0; i < m; i++) assertTrue(e.hasEdge(path[i], path[i + 1]), "step " + i + " of " + e);
                assertEquals(1, countPaths(e, e.start(), e.goal(), new HashSet<>(Set.of(e.start()))), "unique path in " + e);

                // the shape: k arms out of the start, every other node entered once, the goal a leaf
                assertEquals(k, e.successors(e.start()).size());
                assertTrue(e.successors(e.goal()).isEmpty());
                Set<Integer> nodes = new HashSet<>();
                Map<Integer, Integer> inDegree = new HashMap<>();
                for (SearchExample.Edge edge : e.edges()) {
                    nodes.add(edge.from());
                    nodes.add(edge.to());
                    inDegree.merge(edge.to(), 1, Integer::sum);
                    for (int node : new int[] {edge.from(), edge.to()}) assertTrue(node >= 0 && node < task.nodeLabels());
                }
                assertEquals(k * m + 1, nodes.size(), "distinct labels");
                assertEquals(k * m, inDegree.size());
                assertTrue(inDegree.values().stream().allMatch(d -> d == 1));
                assertFalse(inDegree.containsKey(e.start()), "nothing leads into the start");
            }
        }
    }

    @Test
    void tokensAreInTheVocabularyAndFillTheContext() {
        for (SearchTask task : List.of(TASK, TASK.larger())) {
            List<String> vocabulary = task.vocabulary();
            assertEquals(vocabulary.size(), Set.copyOf(vocabulary).size(), "distinct words");
            assertTrue(vocabulary.stream().noneMatch(w -> w.isEmpty() || w.chars().anyMatch(Character::isWhitespace)));
            SplittableRandom random = new SplittableRandom(2);
            for (int n = 0; n < 500; n++) {
                Task.Example x = task.sample(random);
                int length = x.prompt().length + x.target().length;
                assertEquals(3 * task.arms() * task.armLength() + 6 + task.armLength() + 2, length, "every example");
                assertTrue(length <= task.contextLength());
                for (int[] part : List.of(x.prompt(), x.target())) {
                    for (int id : part) assertTrue(id >= 0 && id < vocabulary.size(), "id " + id);
                }
                assertEquals(SearchFormat.PATH, x.prompt()[x.prompt().length - 1]);
                assertEquals(SearchFormat.END, x.target()[x.target().length - 1]);
            }
        }
        assertEquals(38, new SearchTask(3, 3, 32).contextLength(), "9 edges of 3 tokens, 6 query tokens, 4 path nodes and END");
    }

    /** The prompt alone determines the path: decoding it and searching the listed edges gives the generator's path. */
    @Test
    void decodingThePromptRecoversTheGroundTruth() {
        SplittableRandom random = new SplittableRandom(3);
        for (int n = 0; n < 500; n++) {
            SearchExample e = TASK.sampleWithTruth(random);
            Task.Example x = e.encode();
            assertEquals(e, SearchFormat.decode(x.prompt()));
            int[] target = x.target();
            for (int i = 0; i < e.path().length; i++) assertEquals(e.path()[i], SearchFormat.nodeLabel(target[i]));
        }
    }

    @Test
    void theSameSeedGivesTheSameExamples() {
        SplittableRandom a = new SplittableRandom(42);
        SplittableRandom b = new SplittableRandom(42);
        for (int n = 0; n < 100; n++) {
            Task.Example x = TASK.sample(a);
            Task.Example y = TASK.sample(b);
            assertArrayEquals(x.prompt(), y.prompt());
            assertArrayEquals(x.target(), y.target());
        }
        // sample and sampleWithTruth make the same draws
        assertArrayEquals(TASK.sample(new SplittableRandom(5)).prompt(),
                TASK.sampleWithTruth(new SplittableRandom(5)).encode().prompt());
    }

    @Test
    void everyExampleHasAFreshGraph() {
        assertNotEquals(Set.copyOf(TASK.sampleWithTruth(new SplittableRandom(1)).edges()),
                Set.copyOf(TASK.sampleWithTruth(new SplittableRandom(2)).edges()));
        SplittableRandom random = new SplittableRandom(6);
        Set<Set<SearchExample.Edge>> graphs = new HashSet<>();
        for (int n = 0; n < 1000; n++) graphs.add(Set.copyOf(TASK.sampleWithTruth(random).edges()));
        assertEquals(1000, graphs.size());
    }

    /**
     * The first step can't be read off the surface: where the edges stand in the list, which label is smallest, or
     * which (start, goal) pair it is. Each shortcut must do no better than guessing among the arms.
     */
    @Test
    void shortcutsDoNoBetterThanGuessing() {
        int samples = 6000;
        List<SearchExample> examples = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(7);
        for (int n = 0; n < samples; n++) examples.add(TASK.sampleWithTruth(random));
        double chance = 1.0 / TASK.arms();

        Map<String, ToIntFunction<SearchExample>> shortcuts = Map.of(
                "first listed arm", e -> e.successors(e.start()).getFirst(),
                "last listed arm", e -> e.successors(e.start()).getLast(),
                "smallest label", e -> e.successors(e.start()).stream().mapToInt(Integer::intValue).min().orElseThrow(),
                "arm listed nearest before the goal's edge", e -> armListedNearestTheGoal(e, -1),
                "arm listed nearest after the goal's edge", e -> armListedNearestTheGoal(e, +1));
        shortcuts.forEach((name, shortcut) -> {
            long right = examples.stream().filter(e -> shortcut.applyAsInt(e) == e.path()[1]).count();
            assertEquals(chance, (double) right / samples, 0.03, name);
        });

        // a table from (start, goal) to the first step, fitted on half the examples, fails on the other half
        Map<List<Integer>, Map<Integer, Integer>> counts = new HashMap<>();
        for (SearchExample e : examples.subList(0, samples / 2)) {
            counts.computeIfAbsent(List.of(e.start(), e.goal()), q -> new HashMap<>()).merge(e.path()[1], 1, Integer::sum);
        }
        long right = examples.subList(samples / 2, samples).stream().filter(e -> {
            Map<Integer, Integer> seen = counts.get(List.of(e.start(), e.goal()));
            return seen != null && seen.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey() == e.path()[1];
        }).count();
        assertTrue(right < 0.05 * samples / 2, "a memorized table got " + right + " of " + samples / 2);
    }

    /**
     * The center's successor whose edge is listed nearest the goal's edge on the given side ({@code -1} before,
     * {@code +1} after, wrapping around): the answer if the edges were listed arm by arm, forwards or backwards.
     */
    private static int armListedNearestTheGoal(SearchExample e, int side) {
        List<SearchExample.Edge> edges = e.edges();
        int goalEdge = 0;
        while (edges.get(goalEdge).to() != e.goal()) goalEdge++;
        for (int step = 1; ; step++) {
            SearchExample.Edge edge = edges.get(Math.floorMod(goalEdge + side * step, edges.size()));
            if (edge.from() == e.start()) return edge.to();
        }
    }

    @Test
    void theLargerGraphsShareTheVocabulary() {
        SearchTask larger = TASK.larger();
        assertEquals(TASK.arms() + 1, larger.arms());
        assertEquals(TASK.armLength() + 1, larger.armLength());
        assertEquals(TASK.vocabulary(), larger.vocabulary());
        assertEquals(SearchFormat.length(4 * 3, 4), larger.contextLength(), "4 arms of 3: 12 edges, 4 path nodes");
        assertEquals(larger.contextLength(), TASK.contextLength(), "one model can be evaluated on both");
        assertEquals("search", larger.name());
    }

    @Test
    void rejectsGraphsWithNothingToSearch() {
        assertThrows(IllegalArgumentException.class, () -> new SearchTask(1, 3, 32));
        assertThrows(IllegalArgumentException.class, () -> new SearchTask(3, 1, 32));
        assertThrows(IllegalArgumentException.class, () -> new SearchTask(3, 3, 9));
        assertThrows(IllegalArgumentException.class, () -> new SearchTask(3, 3, 10, 37), "a context too short");
        new SearchTask(3, 3, 10, 38);
    }
}
