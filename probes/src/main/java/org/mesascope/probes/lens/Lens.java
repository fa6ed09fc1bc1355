package org.mesascope.probes.lens;

import org.mesascope.core.tensor.Tensor;

/**
 * Reads next-token logits out of the residual stream. The logit lens applies the model's own final norm and
 * unembedding to every row; a tuned lens first applies a learned per-row map. {@link LensRunner} does the rest
 * (capturing the rows, scoring the distributions) the same way for both.
 */
@FunctionalInterface
public interface Lens {
    /**
     * @param row      lens row: {@code l < L} is the residual entering block l, {@code L} the last block's output
     * @param residual residual vectors [N, d] of that row
     * @return logits [N, vocab]
     */
    Tensor logits(int row, Tensor residual);
}
