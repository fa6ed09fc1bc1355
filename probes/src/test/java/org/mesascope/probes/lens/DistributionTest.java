package org.mesascope.probes.lens;

import org.junit.jupiter.api.Test;
import org.mesascope.core.MesascopeException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Softmax statistics against values worked out by hand. */
class DistributionTest {
    private static Distribution of(float... logits) {
        return Distribution.of(logits, 0, logits.length, () -> "test");
    }

    /** Logits log(p) give back p; entropy −Σ p ln p of p = (0.1, 0.2, 0.3, 0.4). */
    @Test
    void probabilitiesAndEntropy() {
        double[] p = {0.1, 0.2, 0.3, 0.4};
        float[] logits = new float[p.length];
        for (int i = 0; i < p.length; i++) logits[i] = (float) Math.log(p[i]) + 7; // a shift changes nothing
        Distribution d = of(logits);
        for (int i = 0; i < p.length; i++) assertEquals(p[i], d.prob(i), 1e-7);
        double h = -(0.1 * Math.log(0.1) + 0.2 * Math.log(0.2) + 0.3 * Math.log(0.3) + 0.4 * Math.log(0.4));
        assertEquals(h, d.entropy(), 1e-7);
        assertEquals(Math.log(4), of(2, 2, 2, 2).entropy(), 1e-12, "uniform over 4: ln 4");
    }

    /** KL((1/2, 1/2) ‖ (0.9, 0.1)) = ½ ln(0.5/0.9) + ½ ln(0.5/0.1) = ½ ln(25/9). */
    @Test
    void klDivergence() {
        Distribution half = of(0, 0);
        Distribution skewed = of((float) Math.log(0.9), (float) Math.log(0.1));
        assertEquals(0.5 * Math.log(25.0 / 9.0), skewed.klFrom(half), 1e-7);
        assertEquals(0.0, half.klFrom(of(3, 3)), 0.0, "same distribution");
    }

    /** exp(1000) overflows a double: the maximum must be taken out first. */
    @Test
    void largeLogitsAreStable() {
        Distribution d = of(1000, 1000, -1000);
        assertEquals(0.5, d.prob(0), 1e-12);
        assertEquals(0.0, d.prob(2), 0.0);
        assertEquals(Math.log(2), d.entropy(), 1e-12);
    }

    @Test
    void topKAndRanksWithTies() {
        Distribution d = of(1, 3, 3, 2);
        assertArrayEquals(new int[] {1, 2}, d.top(2), "ties go to the lower id");
        assertArrayEquals(new int[] {1, 2, 3, 0}, d.top(10), "k beyond the vocabulary lists every token");
        assertEquals(1, d.rank(1));
        assertEquals(1, d.rank(2), "a tie shares the best rank");
        assertEquals(3, d.rank(3));
        assertEquals(4, d.rank(0));
    }

    @Test
    void readsItsSliceOnly() {
        float[] two = {0, 0, 5, 1, 1};
        Distribution second = Distribution.of(two, 3, 2, () -> "test");
        assertEquals(0.5, second.prob(0), 1e-12);
        assertArrayEquals(new int[] {0, 1}, second.top(2));
    }

    @Test
    void nonFiniteLogitsAreRejected() {
        MesascopeException e = assertThrows(MesascopeException.class,
                () -> Distribution.of(new float[] {0, Float.NaN}, 0, 2, () -> "row 3 position 4"));
        assertTrue(e.getMessage().contains("row 3 position 4") && e.getMessage().contains("NaN"), e.getMessage());
        assertThrows(MesascopeException.class, () -> of(0, Float.NEGATIVE_INFINITY));
    }
}
