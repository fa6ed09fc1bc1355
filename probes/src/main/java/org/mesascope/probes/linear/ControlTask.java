package org.mesascope.probes.linear;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Control tasks and selectivity (Hewitt & Liang 2019, "Designing and Interpreting Probes with Control Tasks").
 * A control task gives every <em>type</em> (a token id, or whatever identity the caller supplies per row) one output
 * drawn independently from the empirical distribution of the real task's labels, and every row of that type gets its
 * type's output, whatever its context. Such labels can only be predicted by memorizing types, so the selectivity
 * {@code accuracy(real task) - accuracy(control task)}, with the same probe family and hyper-parameters, puts a
 * probe's accuracy in context with its capacity to memorize: a high-accuracy probe with low selectivity may reflect
 * the probe more than the representation.
 */
public final class ControlTask {
    private ControlTask() {
    }

    /**
     * Control labels for rows of {@code types} whose real labels are {@code labels}: each distinct type, in order of
     * first appearance, gets the label of a row drawn uniformly with {@code seed}, that is a draw from the empirical
     * label distribution.
     */
    public static int[] labels(int[] types, int[] labels, long seed) {
        Checks.sameRows("types", types.length, "labels", labels.length);
        SplittableRandom random = new SplittableRandom(seed);
        Map<Integer, Integer> output = new HashMap<>();
        int[] control = new int[types.length];
        for (int i = 0; i < types.length; i++) {
            control[i] = output.computeIfAbsent(types[i], t -> labels[random.nextInt(labels.length)]);
        }
        return control;
    }

    /** Hewitt & Liang's selectivity: real-task accuracy minus control-task accuracy. */
    public static double selectivity(double taskAccuracy, double controlAccuracy) {
        return taskAccuracy - controlAccuracy;
    }
}
