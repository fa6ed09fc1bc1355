package org.mesascope.core.hooks;

import org.mesascope.core.tensor.Batch;
import org.mesascope.core.tensor.Tensor;

/**
 * Receives hook values while the forward pass runs, once per subscribed hook, in the order the pass
 * computes them. The tensor is only valid during the call (the engine may reuse its buffer): copy what you keep.
 * Shapes carry the batch first: [B, T, d], [B, heads, T, T] for patterns, [B, T, vocab] for logits;
 * positions at or beyond {@code batch.length(b)} are padding.
 */
@FunctionalInterface
public interface ActivationSink {
    void accept(HookPoint hook, Tensor value, Batch batch);
}
