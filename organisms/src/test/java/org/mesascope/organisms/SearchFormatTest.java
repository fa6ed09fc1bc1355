package org.mesascope.organisms;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The token format, against an example written out by hand. */
class SearchFormatTest {
    private static final List<String> VOCABULARY = SearchFormat.vocabulary(20);

    private static String words(int[] ids) {
        return IntStream.of(ids).mapToObj(VOCABULARY::get).collect(Collectors.joining(" "));
    }

    private static int[] ids(String words) {
        return Arrays.stream(words.split(" ")).mapToInt(VOCABULARY::indexOf).toArray();
    }

    @Test
    void writesTheQueryThenTheGraphThenThePath() {
        // a star with center 7 and arms 7 > 3 > 12 and 7 > 5 > 1, listed out of order
        List<SearchExample.Edge> edges = List.of(new SearchExample.Edge(3, 12), new SearchExample.Edge(7, 5),
                new SearchExample.Edge(5, 1), new SearchExample.Edge(7, 3));
        SearchExample e = new SearchExample(edges, 7, 12, new int[] {7, 3, 12});
        Task.Example x = e.encode();
        assertEquals("START n7 GOAL n12 | n3 > n12 n7 > n5 n5 > n1 n7 > n3 PATH", words(x.prompt()));
        assertEquals("n7 n3 n12 END", words(x.target()));
        assertEquals(x.prompt().length + x.target().length, SearchFormat.length(4, 3));
    }

    @Test
    void decodesAPromptAndSearchesItsEdges() {
        SearchExample e = SearchFormat.decode(ids("START n7 GOAL n1 | n3 > n12 n7 > n5 n5 > n1 n7 > n3 PATH"));
        assertEquals(7, e.start());
        assertEquals(1, e.goal());
        assertArrayEquals(new int[] {7, 5, 1}, e.path());
        assertArrayEquals(new int[] {7, 3, 12}, e.shortestPath(7, 12), "the path a retargeted goal calls for");
        assertArrayEquals(new int[0], e.shortestPath(3, 1), "no path between arms");
    }

    @Test
    void rejectsMalformedPrompts() {
        assertThrows(IllegalArgumentException.class, () -> SearchFormat.decode(ids("START n7 GOAL n1 | n3 > n12 n7 PATH")));
        assertThrows(IllegalArgumentException.class, () -> SearchFormat.decode(ids("START n3 GOAL n12 | n3 GOAL n12 PATH")));
        assertThrows(IllegalArgumentException.class, () -> SearchFormat.decode(ids("START n3 GOAL END | n3 > n12 PATH")));
        assertThrows(IllegalArgumentException.class, () -> SearchFormat.decode(ids("n3 > n12 | START n3 GOAL n12 PATH")));
    }

    @Test
    void tokenIdsDoNotDependOnTheNumberOfLabels() {
        assertEquals(SearchFormat.vocabulary(10), SearchFormat.vocabulary(40).subList(0, 16));
        assertEquals("n0", VOCABULARY.get(SearchFormat.FIRST_NODE));
        assertEquals("GOAL", VOCABULARY.get(SearchFormat.GOAL));
        assertEquals(-1, SearchFormat.nodeLabel(SearchFormat.END));
    }
}
