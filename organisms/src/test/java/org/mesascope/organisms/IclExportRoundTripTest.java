package org.mesascope.organisms;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.io.SafetensorsFile;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.ModelConfig;
import org.mesascope.core.model.Models;
import org.mesascope.core.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The vector trainer and exporter checked against an independent implementation: the libtorch model that was trained
 * and Mesascope's CPU engine reading the exported folder through its vector-input path must compute the same read-out
 * (relative 1e-4); the trainer's loss and held-out curve are recomputed in double from the engine's predictions.
 */
class IclExportRoundTripTest {
    /** A few steps, so that the weights are no longer at their initial values; eval at the last step only. */
    private static final TrainingConfig TINY = new TrainingConfig(2, 32, 4, 3e-3, 2, 0.1, 6, 16, 3, 6, 1);

    @Test
    void mesascopeReadsTheExportedVectorModelAsTheTrainerComputedIt(@TempDir Path dir) throws IOException {
        IclRegressionTask task = IclRegressionTask.training();
        try (OrganismTrainer.Trained trained = OrganismTrainer.train(task, TINY, (step, loss) -> { })) {
            trained.export(dir);
            Gpt2Shape shape = trained.shape();
            assertTrue(shape.readsVectors());
            assertEquals(6, shape.inputDim());

            // the folder is docs/formats.md's vector GPT-2: the mesascope object, no vocabulary, no tokenizer
            JsonNode config = new ObjectMapper().readTree(dir.resolve("config.json").toFile());
            assertEquals("vectors", config.at("/mesascope/input").asText());
            assertEquals(task.width(), config.at("/mesascope/input_dim").asInt());
            assertEquals(1, config.at("/mesascope/output_dim").asInt());
            assertFalse(config.has("vocab_size"));
            assertFalse(Files.exists(dir.resolve("tokenizer.json")));
            try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
                assertArrayEquals(new int[]{32, 6}, f.tensor("mesascope.read_in.weight").shape());
                assertArrayEquals(new int[]{1, 32}, f.tensor("mesascope.read_out.weight").shape());
                assertTrue(f.names().contains("transformer.wpe.weight"), "GPT2LMHeadModel's names, as documented");
                assertFalse(f.names().contains("transformer.wte.weight"));
                long stored = 0;
                for (String name : f.names()) {
                    long n = 1;
                    for (int d : f.tensor(name).shape()) n *= d;
                    stored += n;
                }
                assertEquals(shape.parameterCount(), stored);
            }

            try (LoadedModel loaded = Models.load("exported", dir)) {
                assertEquals(new ModelConfig.VectorIo(task.width(), 1), loaded.config().vectors());
                assertEquals(task.length(), loaded.config().maxPositions());
                assertNull(loaded.tokenizer());
                RandomGenerator random = OrganismTrainer.heldOut(99);
                List<IclRegressionTask.Sequence> sequences = new ArrayList<>();
                for (int i = 0; i < 8; i++) sequences.add(task.sample(random));

                double err = 0, norm = 0;
                for (IclRegressionTask.Sequence s : sequences) {
                    float[][] expected = trained.predictions(s.inputs());
                    Tensor actual = loaded.model().forward(Batch.ofVectors(task.width(), s.inputs()), new HookRegistry());
                    assertArrayEquals(new int[]{1, task.length(), 1}, actual.shape());
                    for (int t = 0; t < task.length(); t++) {
                        double a = actual.data()[t], b = expected[t][0];
                        err += (a - b) * (a - b);
                        norm += b * b;
                    }
                }
                assertTrue(norm > 0);
                assertTrue(Math.sqrt(err / norm) <= 1e-4, "relative error " + Math.sqrt(err / norm));

                // the loss: mean squared error at the x positions only, against y_i, in double from the engine
                double[][] predicted = IclEvaluation.predictions(loaded.model(), sequences);
                double sum = 0;
                int count = 0;
                for (int b = 0; b < sequences.size(); b++) {
                    for (int i = 0; i <= task.pairs(); i++) {
                        double e = predicted[b][i] - sequences.get(b).y()[i];
                        sum += e * e;
                        count++;
                    }
                }
                double loss = sum / count;
                assertEquals(loss, trained.regressionLoss(sequences), 1e-4 * loss);

                // the curve's held-out point: the squared error at the query on the held-out stream's first sequences
                RandomGenerator heldOut = OrganismTrainer.heldOut(TINY.seed());
                List<IclRegressionTask.Sequence> curveSet = new ArrayList<>();
                for (int i = 0; i < OrganismTrainer.CURVE_EXAMPLES; i++) curveSet.add(task.sample(heldOut));
                double query = IclBaselines.errorCurve(curveSet, IclEvaluation.predictor(loaded.model(), curveSet))[task.pairs()];
                double fromTrainer = trained.curve().getLast().heldOut();
                assertEquals(query, fromTrainer, 1e-4 * query);
            }
        }
    }
}
