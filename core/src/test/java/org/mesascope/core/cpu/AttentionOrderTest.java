package org.mesascope.core.cpu;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.mesascope.core.hooks.HookPoint;
import org.mesascope.core.hooks.Hooks;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.tensor.KvCache;
import org.mesascope.core.tensor.Tensor;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Attention.attend, bit for bit, against a plain scalar loop that spells out the order the engine promises (see
 * Attention's class comment): each score an FMA chain over the head's dimensions in order, times the scale in float;
 * e_j = Ops.exp(x_j − max); their sum over L lanes (lane l takes every L-th term from the first key the query
 * sees), lanes left to right, then the rest one by one; p_j = e_j / sum; each output element z = fma(p_j, v_j, z)
 * over the keys j = 0..pos in order. The engine computes blocks of queries, keys and elements at once; this checks
 * that doing so changed no bit, with and without the pattern kept, with grouped-query heads, a sliding window, head
 * sizes that are not a multiple of L, and a KV cache that already holds earlier positions.
 */
class AttentionOrderTest {
    private static final int L = FloatVector.SPECIES_PREFERRED.length();

    @Test
    void attendEqualsTheScalarLoopBitForBit() {
        int[][] shapes = {{4, 2, 64}, {3, 3, 20}, {2, 1, 7}, {4, 4, 128}}; // heads, kvHeads, headDim
        for (int[] sh : shapes) {
            for (int window : new int[]{0, 5}) {
                for (boolean keepPattern : new boolean[]{false, true}) {
                    for (boolean cached : new boolean[]{false, true}) {
                        check(sh[0], sh[1], sh[2], window, keepPattern, cached);
                    }
                }
            }
        }
    }

    private static void check(int heads, int kvHeads, int headDim, int window, boolean keepPattern, boolean cached) {
        String where = heads + "/" + kvHeads + " heads of " + headDim + ", window " + window + ", pattern " + keepPattern
                + ", cached " + cached;
        Random r = new Random(heads * 1000L + headDim * 10L + window);
        int bsz = 2, width = 11;
        int[] starts = cached ? new int[]{6, 3} : new int[]{0, 0};
        int capacity = 6 + width;
        KvCache cache = cached ? new KvCache(1, bsz, kvHeads, headDim, capacity) : null;
        // earlier positions already in the cache
        if (cached) {
            for (int i = 0; i < cache.keys(0).length; i++) {
                cache.keys(0)[i] = (float) r.nextGaussian();
                cache.values(0)[i] = (float) r.nextGaussian();
            }
        }
        float[] keysBefore = cached ? cache.keys(0).clone() : null, valuesBefore = cached ? cache.values(0).clone() : null;
        float[] q = gaussian(r, bsz * width * heads * headDim);
        float[] k = gaussian(r, bsz * width * kvHeads * headDim);
        float[] v = gaussian(r, bsz * width * kvHeads * headDim);
        int[][] tokens = new int[bsz][width];
        Batch batch = Batch.continuing(starts, tokens);
        double scale = 1 / Math.sqrt(headDim);
        Tensor[] seen = new Tensor[1];
        Hooks hooks = !keepPattern ? Hooks.NONE : new Hooks() {
            @Override
            public Tensor at(HookPoint hook, Tensor value) {
                seen[0] = value;
                return value;
            }

            @Override
            public boolean wants(HookPoint hook) {
                return true;
            }
        };
        float[] z = Attention.attend(batch, q, k, v, heads, kvHeads, headDim, cache, 0, scale, window, hooks, HookPoint.pattern(0));

        // the scalar loop, over full key/value tables built the same way (earlier positions, then the new ones)
        int tk = 0;
        for (int b = 0; b < bsz; b++) tk = Math.max(tk, starts[b] + width);
        int group = heads / kvHeads;
        float[] zRef = new float[z.length];
        float[] pRef = new float[bsz * heads * width * tk];
        for (int b = 0; b < bsz; b++) {
            for (int h = 0; h < heads; h++) {
                int kh = h / group;
                for (int t = 0; t < width; t++) {
                    int pos = starts[b] + t, first = window > 0 ? Math.max(0, pos - window + 1) : 0;
                    int qo = (b * width + t) * heads * headDim + h * headDim;
                    float[] s = new float[pos + 1];
                    float max = Float.NEGATIVE_INFINITY;
                    for (int j = first; j <= pos; j++) {
                        s[j] = dot(q, qo, key(k, keysBefore, cached, cache, b, kh, j, starts[b], width, kvHeads, headDim, true), headDim) * (float) scale;
                        max = Math.max(max, s[j]);
                    }
                    int n = pos - first + 1, nv = n - n % L;
                    float[] lane = new float[L];
                    for (int j = first; j <= pos; j++) s[j] = Ops.exp(s[j] - max);
                    for (int i = 0; i < nv; i++) lane[i % L] += s[first + i];
                    float sum = 0;
                    for (int l = 0; l < L; l++) sum += lane[l];
                    for (int i = nv; i < n; i++) sum += s[first + i];
                    int po = ((b * heads + h) * width + t) * tk;
                    for (int j = first; j <= pos; j++) pRef[po + j] = s[j] / sum;
                    int zo = qo;
                    for (int e = 0; e < headDim; e++) {
                        float acc = 0;
                        for (int j = 0; j <= pos; j++) {
                            acc = Math.fma(pRef[po + j], key(v, valuesBefore, cached, cache, b, kh, j, starts[b], width, kvHeads, headDim, false)[e], acc);
                        }
                        zRef[zo + e] = acc;
                    }
                }
            }
        }
        assertArrayEquals(zRef, z, where + ": z");
        if (keepPattern) {
            assertNotNull(seen[0], where);
            assertArrayEquals(pRef, seen[0].data(), where + ": pattern");
        }
    }

    /**
     * Row j of head kh's keys (or values) for sequence b: from the cache before the pass (keys stored transposed), or
     * from this pass.
     */
    private static float[] key(float[] fresh, float[] before, boolean cached, KvCache cache, int b, int kh, int j,
                               int start, int width, int kvHeads, int headDim, boolean isKey) {
        float[] row = new float[headDim];
        if (j < start && isKey) {
            for (int d = 0; d < headDim; d++) row[d] = before[cache.keyOffset(b, kh) + d * cache.capacity() + j];
        } else if (j < start) {
            System.arraycopy(before, cache.offset(b, kh, j), row, 0, headDim);
        } else {
            System.arraycopy(fresh, ((b * width + (j - start)) * kvHeads + kh) * headDim, row, 0, headDim);
        }
        return row;
    }

    private static float dot(float[] a, int ao, float[] b, int n) {
        float sum = 0;
        for (int i = 0; i < n; i++) sum = Math.fma(a[ao + i], b[i], sum);
        return sum;
    }

    private static float[] gaussian(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }
}
