package org.mesascope.organisms;

/**
 * How an organism is trained. The learning rate warms up linearly over {@code warmupSteps}, then follows a cosine
 * down to a tenth of its peak at the last step.
 *
 * @param layers       transformer blocks
 * @param dModel       residual width
 * @param heads        attention heads per block
 * @param learningRate peak TorchAdamW learning rate
 * @param warmupSteps  steps of linear warm-up from 0 to the peak
 * @param weightDecay  TorchAdamW's decoupled decay, on matrices only
 * @param steps        optimizer steps, one mini-batch each
 * @param batchSize    examples per mini-batch, each drawn fresh from the task
 * @param seed         seeds the initial weights, the training stream and the held-out stream
 * @param evalEvery    held-out accuracy (and a training-curve point) every this many steps, and at the last step
 * @param threads      libtorch intra-op threads; results are reproducible for a fixed count
 * @param curriculumSteps in-context regression only (0 elsewhere): the training steps over which the inputs' active
 *                     dimensions grow from 1 to D, in D equal stages (Garg et al. 2022's curriculum; the held-out
 *                     curve always uses all D); 0 trains on all D from the start
 */
public record TrainingConfig(int layers, int dModel, int heads, double learningRate, int warmupSteps,
                             double weightDecay, int steps, int batchSize, long seed, int evalEvery, int threads,
                             int curriculumSteps) {
    public TrainingConfig {
        if (layers < 1 || dModel < 1 || heads < 1 || steps < 1 || batchSize < 1 || evalEvery < 1 || threads < 1) {
            throw new IllegalArgumentException("layers, d_model, heads, steps, batch size, eval interval and threads"
                    + " must be positive: " + this);
        }
        if (!(learningRate > 0) || warmupSteps < 0 || !(weightDecay >= 0) || curriculumSteps < 0) {
            throw new IllegalArgumentException("learning rate must be positive, warm-up, weight decay and curriculum"
                    + " not negative: " + this);
        }
    }

    /** No curriculum (the token organisms). */
    public TrainingConfig(int layers, int dModel, int heads, double learningRate, int warmupSteps, double weightDecay,
                          int steps, int batchSize, long seed, int evalEvery, int threads) {
        this(layers, dModel, heads, learningRate, warmupSteps, weightDecay, steps, batchSize, seed, evalEvery, threads, 0);
    }

    public TrainingConfig withSeed(long seed) {
        return new TrainingConfig(layers, dModel, heads, learningRate, warmupSteps, weightDecay, steps, batchSize, seed,
                evalEvery, threads, curriculumSteps);
    }

    /** Another budget; warm-up, the eval interval and the curriculum shrink with it when they would not fit. */
    public TrainingConfig withSteps(int steps) {
        int curriculum = curriculumSteps == 0 ? 0 : (int) Math.max(1, (long) curriculumSteps * steps / this.steps);
        return new TrainingConfig(layers, dModel, heads, learningRate, Math.min(warmupSteps, steps / 10), weightDecay,
                steps, batchSize, seed, Math.min(evalEvery, steps), threads, Math.min(curriculum, steps));
    }

    /**
     * The active input dimensions at step {@code step} (0-based) of a curriculum over {@code dims}: 1 during the first
     * of {@code dims} equal stages of {@code curriculumSteps}, 2 during the second, ..., all of them from then on.
     */
    int activeDimensions(int step, int dims) {
        if (curriculumSteps == 0 || step >= curriculumSteps) return dims;
        return Math.min(dims, 1 + (int) ((long) step * dims / curriculumSteps));
    }

    /** The learning rate of step {@code step} (0-based). */
    double learningRate(int step) {
        if (step < warmupSteps) return learningRate * (step + 1) / warmupSteps;
        double progress = steps - warmupSteps <= 1 ? 1 : (double) (step - warmupSteps) / (steps - warmupSteps - 1);
        return learningRate * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * progress)));
    }
}
