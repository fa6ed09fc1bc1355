package org.mesascope.organisms;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The dimension curriculum's stages, written out by hand. */
class TrainingConfigTest {
    @Test
    void theCurriculumAddsOneDimensionPerEqualStage() {
        TrainingConfig c = new TrainingConfig(1, 8, 1, 1e-3, 0, 0, 200, 1, 0, 1, 1, 100);
        List<Integer> dims = new ArrayList<>();
        for (int step : new int[]{0, 19, 20, 39, 40, 59, 60, 79, 80, 99, 100, 199}) dims.add(c.activeDimensions(step, 5));
        assertEquals(List.of(1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 5, 5), dims);
        TrainingConfig none = new TrainingConfig(1, 8, 1, 1e-3, 0, 0, 200, 1, 0, 1, 1);
        assertEquals(5, none.activeDimensions(0, 5));
        assertEquals(0, none.curriculumSteps());
        assertEquals(50, c.withSteps(100).curriculumSteps(), "a shorter budget shrinks the curriculum with it");
    }

    @Test
    void earlyStagesZeroTheInactiveInputsButDrawTheSameStream() {
        IclRegressionTask task = IclRegressionTask.training();
        IclRegressionTask.Sequence full = task.sample(new java.util.SplittableRandom(3));
        IclRegressionTask.Sequence two = task.sample(new java.util.SplittableRandom(3), 2);
        assertEquals(full.w()[4], two.w()[4]);
        for (int i = 0; i <= task.pairs(); i++) {
            assertEquals(full.x()[i][1], two.x()[i][1]);
            assertEquals(0, two.x()[i][2]);
            assertEquals(two.w()[0] * two.x()[i][0] + two.w()[1] * two.x()[i][1], two.y()[i], 1e-12);
        }
    }
}
