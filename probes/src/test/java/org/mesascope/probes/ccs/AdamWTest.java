package org.mesascope.probes.ccs;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ArrayAdamW as torch.optim.ArrayAdamW computes it. */
class AdamWTest {
    /**
     * Adam's first step moves each parameter by lr in the direction against its gradient (m^ = g, v^ = g^2 after bias
     * correction), after the decoupled decay has scaled it by 1 - lr wd.
     */
    @Test
    void firstStepIsDecayThenSignStep() {
        double lr = 0.01, wd = 0.1;
        double[] theta = {2.0, -3.0, 0.5}, g = {4.0, -0.001, 1e3};
        double[] expected = new double[3];
        for (int k = 0; k < 3; k++) expected[k] = theta[k] * (1 - lr * wd) - lr * g[k] / (Math.abs(g[k]) + ArrayAdamW.EPS);
        new ArrayAdamW(3, lr, wd).step(theta, g);
        for (int k = 0; k < 3; k++) assertEquals(expected[k], theta[k], 1e-15);
    }

    /** Without weight decay ArrayAdamW is Adam: on f(x) = (x - 3)^2 / 2 from -1 it ends within 0.05 of 3 in 3000 steps. */
    @Test
    void convergesOnAQuadratic() {
        double[] x = {-1.0};
        ArrayAdamW opt = new ArrayAdamW(1, 0.01, 0.0);
        for (int t = 0; t < 3000; t++) opt.step(x, new double[]{x[0] - 3});
        assertTrue(Math.abs(x[0] - 3) < 0.05, "x = " + x[0]);
    }
}
