package org.mesascope.core.cpu;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OpsTest {
    @Test
    void erfMatchesTabulatedValues() {
        // erf to 16 digits (Abramowitz & Stegun table 7.1 / mpmath)
        double[][] table = {{0.1, 0.1124629160182849}, {0.5, 0.5204998778130465}, {1, 0.8427007929497149},
                {2, 0.9953222650189527}, {3, 0.9999779095030014}, {3.5, 0.9999992569016276}, {5, 0.9999999999984626}};
        for (double[] row : table) {
            assertEquals(row[1], Ops.erf(row[0]), 2e-15, "erf(" + row[0] + ")");
            assertEquals(-row[1], Ops.erf(-row[0]), 2e-15, "erf(-" + row[0] + ")");
        }
    }

    @Test
    void rationalTanhIsAccurateAndTheVectorFormGivesTheSameBits() {
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        float[] xs = new float[lanes];
        double worst = 0;
        for (float x = -12f; x <= 12f; x += 0.001f) {
            worst = Math.max(worst, Math.abs(Ops.tanh(x) - Math.tanh(x)));
        }
        assertTrue(worst < 4e-7, "max |error| " + worst);
        float[] out = new float[lanes];
        for (int start = -6000; start < 6000; start += lanes) {
            for (int i = 0; i < lanes; i++) xs[i] = (start + i) * 0.001f;
            Ops.geluNew(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, xs, 0)).intoArray(out, 0);
            for (int i = 0; i < lanes; i++) assertEquals(Ops.geluNew(xs[i]), out[i], 0f, "gelu_new(" + xs[i] + ")");
        }
    }

    @Test
    void floatExpIsWithinThreeUlpsOfMathExpAndTheVectorFormGivesTheScalarBits() {
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        java.util.Random r = new java.util.Random(5);
        float[] x = new float[4096];
        float[] edges = {0f, -0f, -1e-30f, 1e-30f, -87f, -87.3f, 88f, -0.5f, -0.34657f, -0.34658f, 0.34657f, 10f, -10f};
        for (int i = 0; i < x.length; i++) x[i] = i < edges.length ? edges[i] : (float) (r.nextDouble() * 175 - 87);
        double worst = 0;
        for (float xi : x) {
            double exact = Math.exp(xi), got = Ops.exp(xi);
            worst = Math.max(worst, Math.abs(got - exact) / Math.ulp((float) exact));
        }
        assertTrue(worst <= 3, "worst error " + worst + " ulp");
        float[] viaVectors = new float[x.length];
        for (int i = 0; i < x.length; i += lanes) Ops.exp(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, i)).intoArray(viaVectors, i);
        for (int i = 0; i < x.length; i++) assertEquals(Ops.exp(x[i]), viaVectors[i], 0f, "x = " + x[i]);
        assertTrue(Float.isNaN(Ops.exp(Float.NaN)));
        // clamped, never infinite or zero: softmax and SiLU stay finite
        assertEquals((float) Math.exp(88), Ops.exp(1e6f), 3 * Math.ulp((float) Math.exp(88)));
        assertTrue(Ops.exp(-1e6f) > 0);
    }

    /** SwiGLU's silu(gate)·up against the same in double, vector body and scalar tail alike (n not a multiple of L). */
    @Test
    void siluGateMatchesDoubleAndVectorAndTailAgree() {
        java.util.Random r = new java.util.Random(6);
        int n = 4096 + 8192 + 5;
        float[] gate = new float[n], up = new float[n];
        for (int i = 0; i < n; i++) {
            gate[i] = (float) (r.nextGaussian() * (i % 7 == 0 ? 40 : 3));
            up[i] = (float) r.nextGaussian();
        }
        float[] out = gate.clone();
        Ops.gatedActivate(Activation.SILU, out, up, n);
        for (int i = 0; i < n; i++) {
            double expected = gate[i] / (1 + Math.exp(-(double) gate[i])) * up[i];
            assertEquals(expected, out[i], 4e-7 * Math.abs(expected) + 1e-30, "i = " + i + ", gate " + gate[i]);
        }
        // each element alone (the scalar tail's form) gives the vector body's bits
        for (int i = 0; i < n; i += 997) {
            float[] one = {gate[i]};
            Ops.gatedActivate(Activation.SILU, one, new float[]{up[i]}, 1);
            assertEquals(out[i], one[0], 0f, "i = " + i);
        }
    }
}
