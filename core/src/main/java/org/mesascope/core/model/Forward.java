package org.mesascope.core.model;

import org.mesascope.core.tensor.KvCache;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.MesascopeException;
import org.mesascope.core.io.WeightTensor;

/** What every architecture's forward pass does the same way: checking its input and looking up embeddings. */
final class Forward {
    private Forward() {
    }

    /** Token ids must index the vocabulary, and every position must fit the model's context (and the cache). */
    static void check(ModelConfig c, Batch batch, KvCache cache) {
        if ((c.vectors() != null) != batch.hasVectors()) {
            throw new MesascopeException(c.vectors() != null
                    ? "this model reads vectors of " + c.vectors().inputDim() + " values per position, not token ids"
                    : "this model reads token ids, not vectors");
        }
        if (batch.hasVectors() && batch.inputDim() != c.vectors().inputDim()) {
            throw new MesascopeException("input vectors have " + batch.inputDim() + " values per position, the model reads "
                    + c.vectors().inputDim());
        }
        for (int b = 0; b < batch.size(); b++) {
            int[] seq = batch.tokens()[b];
            for (int t = 0; t < batch.length(b); t++) {
                if (seq[t] < 0 || seq[t] >= c.vocabSize()) {
                    throw new MesascopeException("token id " + seq[t] + " at position " + (batch.start(b) + t)
                            + " is outside the vocabulary (ids 0.." + (c.vocabSize() - 1) + ")");
                }
            }
            int end = batch.start(b) + batch.length(b);
            if (end > c.maxPositions()) {
                throw new MesascopeException("sequence of " + end + " tokens is longer than the model's context of "
                        + c.maxPositions() + " positions");
            }
            if (cache == null && batch.start(b) != 0) {
                throw new IllegalArgumentException("a batch continuing at position " + batch.start(b) + " needs a KV cache");
            }
            if (cache != null && batch.start(b) + batch.width() > cache.capacity()) {
                throw new MesascopeException("KV cache of " + cache.capacity() + " positions is too small for "
                        + (batch.start(b) + batch.width()));
            }
        }
    }

    /** Rows of {@code table} ([vocab, d]) for every (b, t) of the batch; padding rows use token 0. */
    static float[] lookup(WeightTensor table, Batch batch, int d) {
        int width = batch.width();
        float[] out = new float[batch.size() * width * d];
        for (int b = 0; b < batch.size(); b++) {
            for (int t = 0; t < width; t++) {
                int id = t < batch.length(b) ? batch.tokens()[b][t] : 0;
                table.read((long) id * d, out, (b * width + t) * d, d);
            }
        }
        return out;
    }

    /** The batch's input vectors as one [B*T, inputDim] array. */
    static float[] vectors(Batch batch) {
        int n = batch.width() * batch.inputDim();
        float[] out = new float[batch.size() * n];
        for (int b = 0; b < batch.size(); b++) System.arraycopy(batch.vectors()[b], 0, out, b * n, n);
        return out;
    }

    /** Rows of the position table for positions start(b) + t. */
    static float[] positions(WeightTensor table, Batch batch, int d) {
        int width = batch.width();
        float[] out = new float[batch.size() * width * d];
        for (int b = 0; b < batch.size(); b++) {
            for (int t = 0; t < width; t++) {
                // padding beyond the context reads the last row: its values are masked anyway
                int pos = Math.min(batch.start(b) + t, table.dim(0) - 1);
                table.read((long) pos * d, out, (b * width + t) * d, d);
            }
        }
        return out;
    }
}
