package org.mesascope.organisms;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The icl-regression data and its encoding for the model, and the control's fixed w. */
class IclRegressionTaskTest {
    @Test
    void targetsAreLinearInTheInputs() {
        IclRegressionTask task = IclRegressionTask.training();
        SplittableRandom random = new SplittableRandom(1);
        for (int n = 0; n < 200; n++) {
            IclRegressionTask.Sequence s = task.sample(random);
            assertEquals(task.pairs(), s.pairs());
            assertEquals(task.dim(), s.dim());
            for (int i = 0; i <= s.pairs(); i++) {
                double wx = 0;
                for (int d = 0; d < s.dim(); d++) wx += s.w()[d] * s.x()[i][d];
                assertEquals(wx, s.y()[i], 1e-12);
            }
        }
    }

    @Test
    void noiseHasTheGivenStandardDeviation() {
        IclRegressionTask task = new IclRegressionTask(3, 20, 0.25);
        SplittableRandom random = new SplittableRandom(2);
        double sumSquares = 0;
        int count = 0;
        for (int n = 0; n < 2000; n++) {
            IclRegressionTask.Sequence s = task.sample(random);
            for (int i = 0; i <= s.pairs(); i++) {
                double residual = s.y()[i] - (s.w()[0] * s.x()[i][0] + s.w()[1] * s.x()[i][1] + s.w()[2] * s.x()[i][2]);
                sumSquares += residual * residual;
                count++;
            }
        }
        assertEquals(0.25, Math.sqrt(sumSquares / count), 0.005);
    }

    /** x vectors [x, 0] at even positions, y vectors [0, .., 0, y] at odd ones, ending with the query. */
    @Test
    void encodesTheSequenceForTheModel() {
        IclRegressionTask.Sequence s = new IclRegressionTask.Sequence(
                new double[][] {{1, 2}, {3, 4}, {5, 6}}, new double[] {7, 8, 9}, new double[] {0, 0});
        float[] expected = {
                1, 2, 0,
                0, 0, 7,
                3, 4, 0,
                0, 0, 8,
                5, 6, 0};
        assertArrayEquals(expected, s.inputs());
        assertArrayEquals(new int[] {0, 2, 4}, s.xPositions());
        assertArrayEquals(new float[] {7, 8, 9}, s.targets());

        IclRegressionTask task = new IclRegressionTask(4, 6, 0);
        IclRegressionTask.Sequence sampled = task.sample(new SplittableRandom(3));
        assertEquals(task.length() * task.width(), sampled.inputs().length);
        assertEquals(13, task.length());
        assertEquals(5, task.width());
    }

    @Test
    void aFreshWeightVectorPerSequenceAndTheSameSequencesFromTheSameSeed() {
        IclRegressionTask task = IclRegressionTask.training();
        SplittableRandom random = new SplittableRandom(4);
        assertFalse(Arrays.equals(task.sample(random).w(), task.sample(random).w()));
        IclRegressionTask.Sequence a = task.sample(new SplittableRandom(5));
        IclRegressionTask.Sequence b = task.sample(new SplittableRandom(5));
        assertArrayEquals(a.inputs(), b.inputs());
        assertArrayEquals(a.targets(), b.targets());
        assertEquals("icl-regression", task.name());
    }

    @Test
    void theControlKeepsOneWeightVector() {
        IclRegressionControlTask control = new IclRegressionControlTask(9);
        assertEquals("icl-regression-control", control.name());
        SplittableRandom random = new SplittableRandom(6);
        for (int n = 0; n < 100; n++) {
            IclRegressionTask.Sequence s = control.sample(random);
            assertArrayEquals(control.w(), s.w());
            assertEquals(IclBaselines.dot(control.w(), s.x()[s.pairs()], s.dim()), s.y()[s.pairs()], 1e-12);
        }
        assertArrayEquals(control.w(), new IclRegressionControlTask(9).w());
        assertFalse(Arrays.equals(control.w(), new IclRegressionControlTask(10).w()));
        assertTrue(control.sample(random).x()[0][0] != control.sample(random).x()[0][0], "the inputs still vary");
    }

    @Test
    void rejectsBadSizes() {
        assertThrows(IllegalArgumentException.class, () -> new IclRegressionTask(0, 5, 0));
        assertThrows(IllegalArgumentException.class, () -> new IclRegressionTask(3, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new IclRegressionTask(3, 5, -1));
        assertThrows(IllegalArgumentException.class, () -> new IclRegressionTask(3, 5, Double.NaN));
    }
}
