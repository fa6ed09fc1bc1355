package org.mesascope.core.tensor;

import org.mesascope.core.MesascopeException;

/**
 * Keys and values of earlier positions, per layer, so that generation computes only the new token's row. Values are
 * [B, kvHeads, capacity, headDim]; keys are stored transposed, [B, kvHeads, headDim, capacity], so that one query's
 * scores against consecutive keys are one vector FMA per dimension (see the CPU engine's Attention). Keys are stored
 * after the rotary embedding.
 */
public final class KvCache {
    final float[][] keys;
    final float[][] values;
    final int kvHeads;
    final int headDim;
    final int capacity;
    private final int[] lengths;

    public KvCache(int layers, int batchSize, int kvHeads, int headDim, int capacity) {
        long per = (long) batchSize * kvHeads * capacity * headDim;
        if (per > Integer.MAX_VALUE - 8) throw new MesascopeException("KV cache too large: " + batchSize + " x " + capacity + " positions");
        this.keys = new float[layers][(int) per];
        this.values = new float[layers][(int) per];
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.capacity = capacity;
        this.lengths = new int[batchSize];
    }

    public int capacity() {
        return capacity;
    }

    /** Positions of sequence b already cached. */
    public int length(int b) {
        return lengths[b];
    }

    public int[] lengths() {
        return lengths.clone();
    }

    public float[] keys(int layer) {
        return keys[layer];
    }

    public float[] values(int layer) {
        return values[layer];
    }

    /** Offset of (b, head, pos) in a layer's value array: headDim consecutive floats. */
    public int offset(int b, int head, int pos) {
        return ((b * kvHeads + head) * capacity + pos) * headDim;
    }

    /**
     * Offset of (b, head, dimension 0, position 0) in a layer's key array; dimension d of the key at pos is at
     * {@code keyOffset(b, head) + d * capacity() + pos}.
     */
    public int keyOffset(int b, int head) {
        return (b * kvHeads + head) * headDim * capacity;
    }

    /** Called by the forward pass once all layers have written the batch's new positions. */
    public void advance(Batch batch) {
        for (int b = 0; b < batch.size(); b++) {
            if (batch.start(b) != lengths[b]) {
                throw new IllegalStateException("batch starts sequence " + b + " at " + batch.start(b) + " but the cache holds " + lengths[b]);
            }
            lengths[b] += batch.length(b);
        }
    }
}
