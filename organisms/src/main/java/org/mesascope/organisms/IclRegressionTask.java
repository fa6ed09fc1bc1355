package org.mesascope.organisms;

import java.util.random.RandomGenerator;

/**
 * The icl-regression organism's data: in-context linear regression (von Oswald et al. 2023, "Uncovering
 * mesa-optimization algorithms in Transformers"; Garg et al. 2022). Each sequence draws a fresh weight vector
 * w ~ N(0, I_D), then n + 1 inputs x_i ~ N(0, I_D) with targets y_i = w·x_i + noise·ε_i, ε_i ~ N(0, 1); the last
 * pair is the query. Since w is new every time, the only way to predict y_i is to infer w from the pairs before it.
 * <p>
 * Not a token {@link Task}: the model reads real vectors through a linear read-in. The contract with the model side:
 * <ul>
 *   <li>a sequence is {@code 2n + 1} vectors of width {@code D + 1}: x_1, y_1, ..., x_n, y_n, x_q, where an x vector
 *       is {@code [x, 0]} and a y vector is {@code [0, ..., 0, y]} ({@link Sequence#inputs()});</li>
 *   <li>the model predicts, through a linear read-out, a scalar at every x position {@code 2i} (i = 0 .. n), whose
 *       target is y_i ({@link Sequence#targets()}); the y positions carry no loss.</li>
 * </ul>
 * The prediction at position 2i has seen exactly i pairs, so one sequence gives the in-context error at every
 * context size 0 .. n, the curve that {@link IclBaselines#errorCurve} draws for least squares and gradient descent.
 * The query is simply x_{n+1}: the last y is left out, since nothing would be predicted after it.
 */
public class IclRegressionTask implements OrganismTask {
    /** Five dimensions: least squares is exact from 5 pairs on, leaving most of the curve to show how fast a model gets there. */
    public static final int DEFAULT_DIM = 5;
    /** Fifteen pairs: three times the dimension, a sequence of 31 vectors that a tiny model trains on quickly. */
    public static final int DEFAULT_PAIRS = 15;
    /** No noise: least squares is then exact once i ≥ D, the clearest reference for the curve. */
    public static final double DEFAULT_NOISE = 0.0;

    private final int dim;
    private final int pairs;
    private final double noise;

    /**
     * @param dim   D, the dimension of x and w, at least 1
     * @param pairs n, the (x, y) pairs before the query, at least 1
     * @param noise the standard deviation of the noise added to every y (query included), at least 0
     */
    public IclRegressionTask(int dim, int pairs, double noise) {
        if (dim < 1 || pairs < 1) throw new IllegalArgumentException("need dim >= 1 and pairs >= 1; got " + dim + ", " + pairs);
        if (!(noise >= 0)) throw new IllegalArgumentException("noise must be >= 0; got " + noise);
        this.dim = dim;
        this.pairs = pairs;
        this.noise = noise;
    }

    /** The size the organism is trained on: the defaults. */
    public static IclRegressionTask training() {
        return new IclRegressionTask(DEFAULT_DIM, DEFAULT_PAIRS, DEFAULT_NOISE);
    }

    @Override
    public String name() {
        return "icl-regression";
    }

    public int dim() {
        return dim;
    }

    public int pairs() {
        return pairs;
    }

    public double noise() {
        return noise;
    }

    /** Vectors per sequence: 2n + 1. */
    public int length() {
        return 2 * pairs + 1;
    }

    /** Width of each vector: D + 1. */
    public int width() {
        return dim + 1;
    }

    /** One sequence drawn with {@code random}: w first, then each x followed by its noise. */
    public Sequence sample(RandomGenerator random) {
        return sample(random, dim);
    }

    /**
     * One sequence whose inputs use only their first {@code activeDims} coordinates, the rest 0 (a training
     * curriculum's early stages, Garg et al. 2022). It draws exactly what {@link #sample(RandomGenerator)} draws and then
     * zeroes the inactive coordinates, so the stream stays the same whatever the stage.
     */
    public Sequence sample(RandomGenerator random, int activeDims) {
        if (activeDims < 1 || activeDims > dim) throw new IllegalArgumentException("active dimensions " + activeDims + " not in 1.." + dim);
        double[] w = weights(random);
        double[][] x = new double[pairs + 1][dim];
        double[] y = new double[pairs + 1];
        for (int i = 0; i <= pairs; i++) {
            for (int d = 0; d < dim; d++) {
                double v = random.nextGaussian();
                x[i][d] = d < activeDims ? v : 0;
            }
            y[i] = IclBaselines.dot(w, x[i], dim) + noise * random.nextGaussian();
        }
        return new Sequence(x, y, w);
    }

    /** The weight vector of the next sequence: fresh from N(0, I_D) here; fixed in the control twin. */
    protected double[] weights(RandomGenerator random) {
        double[] w = new double[dim];
        for (int d = 0; d < dim; d++) w[d] = random.nextGaussian();
        return w;
    }

    /**
     * One sequence, in double for the baselines. The arrays belong to the sequence: read them, don't change them.
     *
     * @param x n + 1 rows of D: the n context inputs, then the query
     * @param y n + 1 targets; {@code y[n]} is the query's
     * @param w the weights that made them
     */
    public record Sequence(double[][] x, double[] y, double[] w) {
        /** n, the pairs before the query. */
        public int pairs() {
            return x.length - 1;
        }

        public int dim() {
            return w.length;
        }

        /** Where x_i sits in the model's input (i = n is the query); y_i sits at {@code xPosition(i) + 1}. */
        public static int xPosition(int i) {
            return 2 * i;
        }

        /** The x positions 0, 2, ..., 2n: where the model predicts. */
        public int[] xPositions() {
            int[] positions = new int[pairs() + 1];
            for (int i = 0; i < positions.length; i++) positions[i] = xPosition(i);
            return positions;
        }

        /** The model's input, (2n + 1) rows of D + 1, row-major: [x_1, 0], [0, y_1], ..., [x_q, 0]. */
        public float[] inputs() {
            int width = dim() + 1;
            float[] inputs = new float[(2 * pairs() + 1) * width];
            for (int i = 0; i <= pairs(); i++) {
                int row = xPosition(i) * width;
                for (int d = 0; d < dim(); d++) inputs[row + d] = (float) x[i][d];
                if (i < pairs()) inputs[row + width + dim()] = (float) y[i];
            }
            return inputs;
        }

        /** The target at each x position: y_0 .. y_n (y_n the query's). */
        public float[] targets() {
            float[] targets = new float[y.length];
            for (int i = 0; i < y.length; i++) targets[i] = (float) y[i];
            return targets;
        }
    }
}
