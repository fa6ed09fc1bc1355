package org.mesascope.probes.linear;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class StandardizerTest {
    @Test
    void fitsPopulationMeanAndStdOnTheGivenRowsOnly() {
        double[][] train = {{1, 10}, {3, 10}, {5, 10}};
        Standardizer s = Standardizer.fit(train);
        assertArrayEquals(new double[] {3, 10}, s.mean(), 1e-15);
        // column 0: population variance (4 + 0 + 4) / 3; column 1 is constant, scale 1
        assertArrayEquals(new double[] {Math.sqrt(8.0 / 3), 1}, s.scale(), 1e-15);
        double[][] z = s.apply(new double[][] {{7, 10}, {3, 12}});
        assertArrayEquals(new double[] {4 / Math.sqrt(8.0 / 3), 0}, z[0], 1e-15);
        assertArrayEquals(new double[] {0, 2}, z[1], 1e-15, "other rows keep the training statistics");
    }

    @Test
    void aConstantFeatureWithRoundingNoiseIsConstant() {
        double[][] rows = {{0.1}, {0.1}, {0.1}}; // the mean 0.30000000000000004 / 3 is not exactly 0.1
        assertEquals(1, Standardizer.fit(rows).scale()[0]);
    }

    @Test
    void toOriginalReadsRawRowsAsTheStandardizedReadoutReadsStandardizedOnes() {
        SplittableRandom random = new SplittableRandom(7);
        double[][] x = RidgeProbeTest.shiftedAndScaled(Synthetic.gaussian(random, 50, 6), random);
        Standardizer s = Standardizer.fit(x);
        Affine inZ = new Affine(Synthetic.gaussian(random, 3, 6), new double[] {0.3, -2, 1});
        Affine inX = s.toOriginal(inZ);
        double[][] z = s.apply(x);
        for (int i = 0; i < x.length; i++) assertArrayEquals(inZ.apply(z[i]), inX.apply(x[i]), 1e-12);
    }
}
