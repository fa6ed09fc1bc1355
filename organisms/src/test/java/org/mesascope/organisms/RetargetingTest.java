package org.mesascope.organisms;

import org.mesascope.probes.scan.Finding;
import org.junit.jupiter.api.Test;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.Models;
import org.mesascope.organisms.SearchTask;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Goal retargeting on the shipped search organism and its twin. The organism finds paths in graphs it has never seen
 * (99.9% held out), so it must read the goal; swapping the goal slot's representation at block 0 for another leaf's
 * class mean must send its first step down that leaf's arm. The twin answers from a table of one fixed graph, and on
 * fresh graphs its first step follows no goal at all.
 */
class RetargetingTest {
    private static Path shipped(String name) {
        Path dir = Path.of(System.getProperty("mesascope.home", ".."), "models", name);
        assumeTrue(Files.isRegularFile(dir.resolve("organism.json")), "no shipped organism " + dir);
        return dir;
    }

    @Test
    void theSearchOrganismFollowsASwappedGoalAndItsTwinDoesNot() {
        Retargeting h = new Retargeting(SearchTask.training(), 80, 5);
        try (LoadedModel search = Models.load("search", shipped("search"));
             LoadedModel control = Models.load("search-control", shipped("search-control"))) {
            Finding s = h.run("search", search.model(), 0), c = h.run("search-control", control.model(), 0);
            assertEquals(0.0, (double) s.details().get("unsteered_rate"), 0.05, "unsteered, it takes its own goal's path");
            assertTrue(s.perRow()[0] >= 0.9, "block-0 goal-slot retargeting " + s.perRow()[0]);
            assertTrue(c.score().value() <= 0.2, "the twin's retargeting " + c.score().format());
        }
    }
}
