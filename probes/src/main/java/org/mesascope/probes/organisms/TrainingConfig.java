package org.mesascope.probes.organisms;

/**
 * How an organism is trained. The learning rate warms up linearly over {@code warmupSteps}, then follows a cosine
 * down to a tenth of its peak at the last step.
 *
 * @param layers       transformer blocks
 * @param dModel       residual width
 * @param heads        attention heads per block
 * @param learningRate peak AdamW learning rate
 * @param warmupSteps  steps of linear warm-up from 0 to the peak
 * @param weightDecay  AdamW's decoupled decay, on matrices only
 * @param steps        optimizer steps, one mini-batch each
 * @param batchSize    examples per mini-batch, each drawn fresh from the task
 * @param seed         seeds the initial weights, the training stream and the held-out stream
 * @param evalEvery    held-out accuracy (and a training-curve point) every this many steps, and at the last step
 * @param threads      libtorch intra-op threads; results are reproducible for a fixed count
 */
public record TrainingConfig(int layers, int dModel, int heads, double learningRate, int warmupSteps,
                             double weightDecay, int steps, int batchSize, long seed, int evalEvery, int threads) {
    public TrainingConfig {
        if (layers < 1 || dModel < 1 || heads < 1 || steps < 1 || batchSize < 1 || evalEvery < 1 || threads < 1) {
            throw new IllegalArgumentException("layers, d_model, heads, steps, batch size, eval interval and threads"
                    + " must be positive: " + this);
        }
        if (!(learningRate > 0) || warmupSteps < 0 || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("learning rate must be positive, warm-up and weight decay not negative: " + this);
        }
    }

    public TrainingConfig withSeed(long seed) {
        return new TrainingConfig(layers, dModel, heads, learningRate, warmupSteps, weightDecay, steps, batchSize, seed,
                evalEvery, threads);
    }

    /** Another budget; warm-up and the eval interval shrink with it when they would not fit. */
    public TrainingConfig withSteps(int steps) {
        return new TrainingConfig(layers, dModel, heads, learningRate, Math.min(warmupSteps, steps / 10), weightDecay,
                steps, batchSize, seed, Math.min(evalEvery, steps), threads);
    }

    /** The learning rate of step {@code step} (0-based). */
    double learningRate(int step) {
        if (step < warmupSteps) return learningRate * (step + 1) / warmupSteps;
        double progress = steps - warmupSteps <= 1 ? 1 : (double) (step - warmupSteps) / (steps - warmupSteps - 1);
        return learningRate * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * progress)));
    }
}
