package org.mesascope.probes.ccs;

import org.mesascope.core.MesascopeException;

import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * A CCS probe (Burns et al. 2022, "Discovering latent knowledge in language models without supervision"): on
 * normalized activations ({@link BurnsNormalization}), {@code p(x) = sigmoid(weight . x + bias)}, trained without
 * labels to make the two halves of each contrast pair consistent ({@code p(x+) ~ 1 - p(x-)}) and confident (one of the
 * two near 0). Its credence that the positive half is true is {@code (p(x+) + 1 - p(x-)) / 2}.
 *
 * @param loss           the training loss (consistency + confidence) of the kept restart
 * @param restartLosses  the final training loss of every restart, in order
 */
public record CcsProbe(double[] weight, double bias, BurnsNormalization normalization, double loss,
                       double consistency, double confidence, double[] restartLosses) {

    /**
     * Trains on the pairs {@code (positive[i], negative[i])} (raw activations, [n][d]): normalization fitted here, then
     * {@code options.restarts()} runs of ArrayAdamW (see {@link CcsOptions}), each from a random unit vector in
     * {@code (w, b)} as the paper's code starts, the lowest final loss kept (ties to the earlier restart). Restarts
     * run in parallel; each has its own stream drawn from the seed in order, so the result does not depend on the
     * number of cores.
     */
    public static CcsProbe fit(double[][] positive, double[][] negative, CcsOptions options) {
        check(positive, negative);
        BurnsNormalization norm = BurnsNormalization.fit(positive, negative);
        CcsObjective objective = new CcsObjective(norm.positive(positive), norm.negative(negative));
        SplittableRandom root = new SplittableRandom(options.seed());
        long[] seeds = new long[options.restarts()];
        for (int r = 0; r < seeds.length; r++) seeds[r] = root.nextLong();
        double[][] thetas = IntStream.range(0, seeds.length).parallel()
                .mapToObj(r -> train(objective, options, seeds[r])).toArray(double[][]::new);
        double[] losses = new double[thetas.length];
        int best = 0;
        for (int r = 0; r < thetas.length; r++) {
            losses[r] = objective.evaluate(thetas[r], null).loss();
            if (losses[r] < losses[best]) best = r;
        }
        double[] theta = thetas[best];
        int d = theta.length - 1;
        CcsObjective.Value value = objective.evaluate(theta, null);
        return new CcsProbe(java.util.Arrays.copyOf(theta, d), theta[d], norm, value.loss(), value.consistency(),
                value.confidence(), losses);
    }

    /** One restart: a unit random start, then {@code epochs} full-batch ArrayAdamW steps. */
    static double[] train(CcsObjective objective, CcsOptions options, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] theta = new double[objective.parameters()], gradient = new double[theta.length];
        double norm = 0;
        for (int k = 0; k < theta.length; k++) {
            theta[k] = random.nextGaussian();
            norm += theta[k] * theta[k];
        }
        norm = Math.sqrt(norm);
        for (int k = 0; k < theta.length; k++) theta[k] /= norm;
        ArrayAdamW optimizer = new ArrayAdamW(theta.length, options.learningRate(), options.weightDecay());
        for (int epoch = 0; epoch < options.epochs(); epoch++) {
            objective.evaluate(theta, gradient);
            optimizer.step(theta, gradient);
        }
        return theta;
    }

    /** {@code p(x) = sigmoid(w . x + b)} of raw rows of the positive (or negative) half. */
    public double[] probabilities(double[][] x, boolean positiveHalf) {
        double[][] z = positiveHalf ? normalization.positive(x) : normalization.negative(x);
        double[] p = new double[x.length];
        for (int i = 0; i < p.length; i++) p[i] = CcsObjective.sigmoid(CcsObjective.dot(weight, z[i]) + bias);
        return p;
    }

    /** The credence that each pair's positive half is the true one: {@code (p(x+) + 1 - p(x-)) / 2}. */
    public double[] credence(double[][] positive, double[][] negative) {
        check(positive, negative);
        double[] pp = probabilities(positive, true), pn = probabilities(negative, false), c = new double[pp.length];
        for (int i = 0; i < c.length; i++) c[i] = 0.5 * (pp[i] + 1 - pn[i]);
        return c;
    }

    /** The loss of this probe on other pairs (normalized with the training statistics). */
    public double loss(double[][] positive, double[][] negative) {
        check(positive, negative);
        double[] theta = java.util.Arrays.copyOf(weight, weight.length + 1);
        theta[weight.length] = bias;
        return new CcsObjective(normalization.positive(positive), normalization.negative(negative))
                .evaluate(theta, null).loss();
    }

    /**
     * The share of pairs whose label (1: the positive half is true, 0: the negative half) the credence predicts
     * ({@code > 1/2} predicts 1), as it stands: CCS is trained without labels, so its sign is arbitrary; see
     * {@link #signAgnostic}.
     */
    public double accuracy(double[][] positive, double[][] negative, int[] labels) {
        double[] c = credence(positive, negative);
        if (labels.length != c.length) throw new MesascopeException(labels.length + " labels for " + c.length + " pairs");
        int correct = 0;
        for (int i = 0; i < c.length; i++) if ((c[i] > 0.5 ? 1 : 0) == labels[i]) correct++;
        return (double) correct / c.length;
    }

    /** {@code max(accuracy, 1 - accuracy)}: CCS's accuracy as the paper reports it, whatever the probe's sign. */
    public static double signAgnostic(double accuracy) {
        return Math.max(accuracy, 1 - accuracy);
    }

    private static void check(double[][] positive, double[][] negative) {
        if (positive.length == 0) throw new MesascopeException("CCS needs at least one contrast pair");
        if (positive.length != negative.length) {
            throw new MesascopeException(positive.length + " positive halves but " + negative.length + " negative ones");
        }
        int d = positive[0].length;
        for (double[][] half : new double[][][]{positive, negative}) {
            for (int i = 0; i < half.length; i++) {
                if (half[i].length != d) throw new MesascopeException("pair " + i + " has width " + half[i].length + ", not " + d);
                for (double v : half[i]) if (!Double.isFinite(v)) throw new MesascopeException("pair " + i + " holds " + v);
            }
        }
    }
}
