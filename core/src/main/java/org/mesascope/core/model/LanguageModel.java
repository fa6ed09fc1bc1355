package org.mesascope.core.model;

import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.tensor.Tensor;

/** A transformer bound to its weights: the forward pass with hooks, and the pieces lenses need. */
public interface LanguageModel {
    ModelConfig config();

    /**
     * Runs {@code batch} through the model, calling every hook point (names as in TransformerLens) while it runs.
     * @param cache null for a plain pass; otherwise keys/values are read for positions before {@code batch.start(b)}
     *              and written for the new ones
     * @return logits [B, T, vocab]
     */
    Tensor forward(Batch batch, HookRegistry hooks, KvCache cache);

    default Tensor forward(Batch batch, HookRegistry hooks) {
        return forward(batch, hooks, null);
    }

    /** The model's final norm and unembedding applied to residual vectors [N, d]: logits [N, vocab] (the logit lens). */
    Tensor unembed(Tensor residual);

    /** A cache for {@code batchSize} sequences of up to {@code capacity} positions. */
    KvCache newCache(int batchSize, int capacity);
}
