package org.mesascope.organisms;

import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * The icl-regression organism's control twin: the same sequences, but every one made with the same w, drawn once from
 * N(0, I_D) with a seed. A model can then predict y = w·x from the query alone, with no use for the context, and so
 * should not generalize to a new w.
 */
public final class IclRegressionControlTask extends IclRegressionTask {
    private final double[] w;

    /** The control for {@link IclRegressionTask#training()}. */
    public IclRegressionControlTask(long weightSeed) {
        this(DEFAULT_DIM, DEFAULT_PAIRS, DEFAULT_NOISE, weightSeed);
    }

    public IclRegressionControlTask(int dim, int pairs, double noise, long weightSeed) {
        super(dim, pairs, noise);
        this.w = super.weights(new SplittableRandom(weightSeed));
    }

    @Override
    public String name() {
        return "icl-regression-control";
    }

    /** The fixed weight vector. */
    public double[] w() {
        return w.clone();
    }

    @Override
    protected double[] weights(RandomGenerator random) {
        return w.clone();
    }
}
