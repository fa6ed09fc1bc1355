package org.mesascope.organisms;

import org.mesascope.probes.scan.Estimate;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Which trained models count as having learned, and the AUROCs over all organisms and over the learned ones. */
class SeedSeparationTest {
    @Test
    void learnedByTheCardsMeasure() {
        assertTrue(SeedValidation.learned(Map.of("accuracy", 0.999)));
        assertFalse(SeedValidation.learned(Map.of("accuracy", 0.308, "larger_graph_accuracy", 0.0)));
        assertTrue(SeedValidation.learned(Map.of("query_error", 1.6, "y_variance", 4.8)));
        assertFalse(SeedValidation.learned(Map.of("query_error", 4.7, "y_variance", 4.8)));
        // a control's card: its own w, held out
        assertTrue(SeedValidation.learned(Map.of("query_error", 1e-5, "query_error_fresh_w", 7.9)));
    }

    @Test
    void aurocOverAllOrganismsAndOverTheLearnedOnes() {
        List<SeedValidation.SeedRun> runs = List.of(
                run("search", 1, false, 0.30), run("search-control", 1, true, 0.05),
                run("search", 2, true, 0.98), run("search-control", 2, true, 0.40),
                run("search", 3, false, 0.01), run("search-control", 3, true, 0.02));
        SeedValidation.Separation s = SeedValidation.separations("search", "search-control", runs, 0).getFirst();
        assertArrayEquals(new double[]{0.30, 0.98, 0.01}, s.organism());
        assertArrayEquals(new double[]{0.05, 0.40, 0.02}, s.control());
        // all organisms: 0.30 beats 2 of 3 controls, 0.98 all 3, 0.01 none: 5 of 9 pairs
        assertEquals(5.0 / 9, s.auroc().value(), 1e-12);
        assertEquals(1, s.learnedOrganisms());
        assertEquals(1.0, s.aurocLearned().value(), 1e-12);

        List<SeedValidation.SeedRun> none = List.of(run("search", 1, false, 0.3), run("search-control", 1, true, 0.1));
        assertNull(SeedValidation.separations("search", "search-control", none, 0).getFirst().aurocLearned());
    }

    private static SeedValidation.SeedRun run(String model, long seed, boolean learned, double score) {
        return new SeedValidation.SeedRun(model, seed, Map.of(), learned,
                Map.of("retargeting", new Estimate(score, score, score, 10)));
    }
}
