package org.mesascope.organisms;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The control twin: one graph behind every example, so that an answer table suffices. */
class SearchControlTaskTest {
    private static final SearchControlTask CONTROL = new SearchControlTask(11);

    @Test
    void everyExampleUsesTheSameGraph() {
        Set<SearchExample.Edge> graph = Set.copyOf(CONTROL.graph());
        assertEquals(CONTROL.twin().arms() * CONTROL.twin().armLength(), graph.size());
        SplittableRandom random = new SplittableRandom(1);
        Set<List<SearchExample.Edge>> orders = new HashSet<>();
        for (int n = 0; n < 500; n++) {
            SearchExample e = CONTROL.sampleWithTruth(random);
            assertEquals(graph, Set.copyOf(e.edges()));
            orders.add(e.edges());
        }
        // 500 uniform draws from the 6! = 720 orders of 6 edges give 720 (1 - (719/720)^500) ≈ 361 distinct ones
        assertTrue(orders.size() > 320, "the edges are listed in a fresh order each time: " + orders.size());
    }

    @Test
    void queriesHaveAPathThatFollowsTheEdges() {
        SplittableRandom random = new SplittableRandom(2);
        Set<List<Integer>> queries = new HashSet<>();
        for (int n = 0; n < 2000; n++) {
            SearchExample e = CONTROL.sampleWithTruth(random);
            int[] path = e.path();
            assertTrue(path.length >= 2);
            assertEquals(e.start(), path[0]);
            assertEquals(e.goal(), path[path.length - 1]);
            for (int i = 0; i + 1 < path.length; i++) assertTrue(e.hasEdge(path[i], path[i + 1]));
            assertArrayEquals(e.shortestPath(e.start(), e.goal()), path);
            queries.add(List.of(e.start(), e.goal()));
        }
        // 3 arms of 2: 6 pairs from the center, 1 along each arm
        assertEquals(9, CONTROL.queries());
        assertEquals(CONTROL.queries(), queries.size(), "every query turns up");
    }

    @Test
    void anAnswerTableFromTheQuerySolvesIt() {
        Map<List<Integer>, List<Integer>> table = new HashMap<>();
        SplittableRandom random = new SplittableRandom(3);
        for (int n = 0; n < 1000; n++) {
            SearchExample e = CONTROL.sampleWithTruth(random);
            table.put(List.of(e.start(), e.goal()), Arrays.stream(e.path()).boxed().toList());
        }
        for (int n = 0; n < 1000; n++) {
            SearchExample e = CONTROL.sampleWithTruth(random);
            assertEquals(table.get(List.of(e.start(), e.goal())), Arrays.stream(e.path()).boxed().toList());
        }
    }

    @Test
    void sameFormatAsTheSearchTask() {
        SearchTask search = SearchTask.training();
        assertEquals("search-control", CONTROL.name());
        assertEquals(search.vocabulary(), CONTROL.vocabulary());
        assertEquals(search.contextLength(), CONTROL.contextLength());
        SplittableRandom random = new SplittableRandom(4);
        for (int n = 0; n < 500; n++) {
            Task.Example x = CONTROL.sample(random);
            assertEquals(search.sample(random).prompt().length, x.prompt().length, "prompts as long as the search task's");
            assertTrue(x.prompt().length + x.target().length <= CONTROL.contextLength());
            for (int[] part : List.of(x.prompt(), x.target())) {
                for (int id : part) assertTrue(id >= 0 && id < CONTROL.vocabulary().size());
            }
            int[] path = SearchFormat.decode(x.prompt()).path();
            assertEquals(path.length + 1, x.target().length, "the target is the path the prompt's edges give");
            for (int i = 0; i < path.length; i++) assertEquals(SearchFormat.nodeToken(path[i]), x.target()[i]);
        }
    }

    @Test
    void aControlForAnySearchTask() {
        SearchTask larger = SearchTask.training().larger();
        SearchControlTask control = new SearchControlTask(larger, 1);
        assertEquals(larger.contextLength(), control.contextLength());
        assertEquals(12, control.graph().size());
        assertEquals(12 + 4 * 3, control.queries(), "12 pairs from the center, 3 along each arm of 3");
    }

    @Test
    void theSeedPicksTheGraph() {
        assertEquals(CONTROL.graph(), new SearchControlTask(11).graph());
        assertNotEquals(Set.copyOf(CONTROL.graph()), Set.copyOf(new SearchControlTask(12).graph()));
    }
}
