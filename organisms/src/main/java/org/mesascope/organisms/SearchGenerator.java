package org.mesascope.organisms;

import java.util.random.RandomGenerator;

/**
 * A graph-search task whose examples come with their ground truth ({@link SearchExample}): the search organism and
 * its control twin, so that heuristics can treat the two alike.
 */
public interface SearchGenerator extends Task {
    /** One example's ground truth, drawn with {@code random}. */
    SearchExample sampleWithTruth(RandomGenerator random);

    /** The tokens of {@link #sampleWithTruth}: the same draws, so one generator state gives the same example. */
    @Override
    default Example sample(RandomGenerator random) {
        return sampleWithTruth(random).encode();
    }
}
