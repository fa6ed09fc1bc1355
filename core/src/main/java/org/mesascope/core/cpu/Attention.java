package org.mesascope.core.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.mesascope.core.hooks.HookPoint;
import org.mesascope.core.hooks.Hooks;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.tensor.KvCache;
import org.mesascope.core.tensor.Tensor;

/**
 * Causal multi-head attention with grouped-query heads, over a KV store (the generation cache, or a transient
 * one for a plain pass). The pattern [B, heads, T, Tk] is only materialized when a hook asks for it; then the
 * hook's (possibly replaced) pattern is what multiplies the values, so interventions on it take effect.
 *
 * <p>The arithmetic of one query, which every path below performs in this order whatever block the query falls in
 * (so that a query gives the same bits alone, in a batch, or one token at a time from the cache):
 * <ol>
 *   <li>score s_j = Σ_d q_d·k_jd by FMA over d in order from 0, in float; x_j = s_j · scale (scale rounded to float);</li>
 *   <li>e_j = {@link Ops#exp}(x_j − max_j x_j) over the keys the query sees (j ≤ pos, within the window);</li>
 *   <li>their sum: lane l of {@link #L} running sums takes e_{first+l}, e_{first+l+L}, ... over whole vectors, the lanes are
 *       added left to right, then the remaining e_j one by one; p_j = e_j / sum;</li>
 *   <li>z_e = Σ_j p_j·v_je by FMA over j = 0..last in order (last: the query's position, or the end of the sequence
 *       when a hook supplied the pattern).</li>
 * </ol>
 * Keys are stored transposed ({@link KvCache}), so the scores of a block of four queries against 2·L consecutive
 * keys are eight vector accumulators fed by two loads and four broadcasts per dimension; the weighted sum keeps four
 * queries × 2·L elements of z in registers across the keys. Vector lanes do exactly the scalar operations, so the
 * scalar tails give the same bits as the vector bodies.
 */
public final class Attention {
    private Attention() {
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** Queries per register block. */
    private static final int QB = 4;
    /** Queries per parallel task: enough tasks to balance two to sixteen cores on one sequence. */
    private static final int CHUNK = 32;
    private static final ThreadLocal<float[]> ROWS = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * @param q     [B*T, heads*headDim], rotary already applied
     * @param k     [B*T, kvHeads*headDim], rotary already applied
     * @param v     [B*T, kvHeads*headDim]
     * @param cache holds earlier positions and receives the new ones; null for a plain pass
     * @param window sliding window in positions (0: none)
     * @return z [B*T, heads*headDim], the heads' outputs before the output projection
     */
    public static float[] attend(Batch batch, float[] q, float[] k, float[] v, int heads, int kvHeads, int headDim,
                                 KvCache cache, int layer, double scale, int window, Hooks hooks, HookPoint patternHook) {
        int bsz = batch.size(), width = batch.width();
        KvCache store = cache != null ? cache : new KvCache(1, bsz, kvHeads, headDim, width);
        int storeLayer = cache != null ? layer : 0;
        float[] keys = store.keys(storeLayer), values = store.values(storeLayer);
        int kvDim = kvHeads * headDim, capacity = store.capacity();
        for (int b = 0; b < bsz; b++) {
            if (batch.start(b) + width > capacity) {
                throw new IllegalStateException("KV cache holds " + capacity + " positions, sequence " + b + " needs " + (batch.start(b) + width));
            }
            for (int h = 0; h < kvHeads; h++) {
                int kt = store.keyOffset(b, h);
                for (int t = 0; t < width; t++) {
                    int row = (b * width + t) * kvDim + h * headDim, pos = batch.start(b) + t;
                    for (int d = 0; d < headDim; d++) keys[kt + d * capacity + pos] = k[row + d];
                    System.arraycopy(v, row, values, store.offset(b, h, pos), headDim);
                }
            }
        }
        int keyWidth = 0;
        for (int b = 0; b < bsz; b++) keyWidth = Math.max(keyWidth, batch.start(b) + width);
        int tk = keyWidth, group = heads / kvHeads, chunks = (width + CHUNK - 1) / CHUNK, qStride = heads * headDim;
        float scaleF = (float) scale;
        float[] z = new float[bsz * width * heads * headDim];

        Tensor pattern = null;
        if (hooks.wants(patternHook)) {
            float[] p = new float[bsz * heads * width * tk];
            Parallel.forEach(bsz * heads * chunks, task -> {
                int b = task / chunks / heads, h = task / chunks % heads, c = task % chunks;
                for (int t = c * CHUNK, end = Math.min(width, t + CHUNK); t < end; t += QB) {
                    int nq = Math.min(QB, end - t);
                    probabilities(q, (b * width + t) * qStride + h * headDim, qStride, nq, keys, store.keyOffset(b, h / group),
                            capacity, headDim, batch.start(b) + t, window, scaleF, p, ((b * heads + h) * width + t) * tk, tk);
                }
            });
            pattern = hooks.at(patternHook, new Tensor(p, bsz, heads, width, tk));
        }
        float[] pat = pattern == null ? null : pattern.data();
        Parallel.forEach(bsz * heads * chunks, task -> {
            int b = task / chunks / heads, h = task / chunks % heads, c = task % chunks;
            float[] rows = pat != null ? null : rows(QB * tk);
            int[] last = new int[QB];
            for (int t = c * CHUNK, end = Math.min(width, t + CHUNK); t < end; t += QB) {
                int nq = Math.min(QB, end - t), qo = (b * width + t) * qStride + h * headDim;
                float[] probs;
                int po;
                if (pat == null) {
                    probabilities(q, qo, qStride, nq, keys, store.keyOffset(b, h / group), capacity, headDim, batch.start(b) + t,
                            window, scaleF, rows, 0, tk);
                    probs = rows;
                    po = 0;
                } else {
                    probs = pat;
                    po = ((b * heads + h) * width + t) * tk;
                }
                // a pattern from a hook may weigh any position this sequence has, not only the causal ones
                for (int i = 0; i < nq; i++) last[i] = pat == null ? batch.start(b) + t + i : batch.start(b) + width - 1;
                weightedSum(probs, po, tk, nq, last, values, store.offset(b, h / group, 0), z, qo, qStride, headDim);
            }
        });
        return z;
    }

    private static float[] rows(int n) {
        float[] r = ROWS.get();
        if (r.length < n) {
            r = new float[n];
            ROWS.set(r);
        }
        return r;
    }

    /**
     * Probabilities of nq consecutive queries (positions pos0, pos0+1, ...; query i at q[qo + i·qStride ..]) over the
     * keys, into out rows o + i·stride, [0, stride): the softmax over the keys each query sees, zeros elsewhere.
     */
    static void probabilities(float[] q, int qo, int qStride, int nq, float[] keys, int kt, int capacity, int headDim,
                              int pos0, int window, float scale, float[] out, int o, int stride) {
        int maxPos = pos0 + nq - 1, from = window > 0 ? Math.max(0, pos0 - window + 1) : 0;
        scores(q, qo, qStride, nq, keys, kt, capacity, headDim, from, maxPos + 1, scale, out, o, stride);
        for (int i = 0; i < nq; i++) {
            int pos = pos0 + i, first = window > 0 ? Math.max(0, pos - window + 1) : 0, r = o + i * stride;
            softmax(out, r + first, pos - first + 1);
            java.util.Arrays.fill(out, r, r + first, 0f);
            java.util.Arrays.fill(out, r + pos + 1, r + stride, 0f);
        }
    }

    /** x_j · scale for keys j in [from, to) of nq queries; four queries at a time where there are four. */
    private static void scores(float[] q, int qo, int qStride, int nq, float[] keys, int kt, int capacity, int headDim,
                               int from, int to, float scale, float[] out, int o, int stride) {
        if (nq < QB) {
            for (int i = 0; i < nq; i++) score1(q, qo + i * qStride, keys, kt, capacity, headDim, from, to, scale, out, o + i * stride);
            return;
        }
        int q1 = qo + qStride, q2 = q1 + qStride, q3 = q2 + qStride;
        int o1 = o + stride, o2 = o1 + stride, o3 = o2 + stride;
        FloatVector sv = FloatVector.broadcast(S, scale);
        int j = from;
        for (; j + 2 * L <= to; j += 2 * L) {
            FloatVector a00 = FloatVector.zero(S), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
            for (int d = 0, kd = kt + j; d < headDim; d++, kd += capacity) {
                FloatVector k0 = FloatVector.fromArray(S, keys, kd), k1 = FloatVector.fromArray(S, keys, kd + L);
                FloatVector b0 = FloatVector.broadcast(S, q[qo + d]);
                a00 = b0.fma(k0, a00);
                a01 = b0.fma(k1, a01);
                FloatVector b1 = FloatVector.broadcast(S, q[q1 + d]);
                a10 = b1.fma(k0, a10);
                a11 = b1.fma(k1, a11);
                FloatVector b2 = FloatVector.broadcast(S, q[q2 + d]);
                a20 = b2.fma(k0, a20);
                a21 = b2.fma(k1, a21);
                FloatVector b3 = FloatVector.broadcast(S, q[q3 + d]);
                a30 = b3.fma(k0, a30);
                a31 = b3.fma(k1, a31);
            }
            a00.mul(sv).intoArray(out, o + j);
            a01.mul(sv).intoArray(out, o + j + L);
            a10.mul(sv).intoArray(out, o1 + j);
            a11.mul(sv).intoArray(out, o1 + j + L);
            a20.mul(sv).intoArray(out, o2 + j);
            a21.mul(sv).intoArray(out, o2 + j + L);
            a30.mul(sv).intoArray(out, o3 + j);
            a31.mul(sv).intoArray(out, o3 + j + L);
        }
        for (int i = 0; i < QB; i++) score1(q, qo + i * qStride, keys, kt, capacity, headDim, j, to, scale, out, o + i * stride);
    }

    /** One query's x_j for keys j in [from, to): a vector of keys at a time, then key by key. */
    private static void score1(float[] q, int qo, float[] keys, int kt, int capacity, int headDim, int from, int to,
                               float scale, float[] out, int o) {
        int j = from;
        for (; j + L <= to; j += L) {
            FloatVector a = FloatVector.zero(S);
            for (int d = 0, kd = kt + j; d < headDim; d++, kd += capacity) {
                a = FloatVector.broadcast(S, q[qo + d]).fma(FloatVector.fromArray(S, keys, kd), a);
            }
            a.mul(scale).intoArray(out, o + j);
        }
        for (; j < to; j++) {
            float a = 0f;
            for (int d = 0, kd = kt + j; d < headDim; d++, kd += capacity) a = Math.fma(q[qo + d], keys[kd], a);
            out[o + j] = a * scale;
        }
    }

    /** x[o..o+n) ← softmax, in the order the class comment gives. */
    static void softmax(float[] x, int o, int n) {
        int nv = n - n % L;
        FloatVector mv = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < nv; j += L) mv = mv.max(FloatVector.fromArray(S, x, o + j));
        float max = mv.reduceLanes(VectorOperators.MAX); // the maximum is exact in any order
        for (int j = nv; j < n; j++) max = Math.max(max, x[o + j]);
        FloatVector maxV = FloatVector.broadcast(S, max), acc = FloatVector.zero(S);
        for (int j = 0; j < nv; j += L) {
            FloatVector e = Ops.exp(FloatVector.fromArray(S, x, o + j).sub(maxV));
            e.intoArray(x, o + j);
            acc = acc.add(e);
        }
        float[] lanes = new float[L];
        acc.intoArray(lanes, 0);
        float sum = 0f;
        for (float lane : lanes) sum += lane;
        for (int j = nv; j < n; j++) {
            x[o + j] = Ops.exp(x[o + j] - max);
            sum += x[o + j];
        }
        FloatVector sumV = FloatVector.broadcast(S, sum);
        for (int j = 0; j < nv; j += L) FloatVector.fromArray(S, x, o + j).div(sumV).intoArray(x, o + j);
        for (int j = nv; j < n; j++) x[o + j] = x[o + j] / sum;
    }

    /**
     * z[zo + i·zStride + e] += Σ_j p[po + i·stride + j] · values[v0 + j·n + e] for j = 0..last[i] in order, e < n, for
     * nq queries: four queries × 2·L elements of z held in registers over the keys all four see, then each query's
     * remaining keys; fewer than four queries one at a time.
     */
    static void weightedSum(float[] p, int po, int stride, int nq, int[] last, float[] values, int v0, float[] z, int zo,
                            int zStride, int n) {
        int c = 0;
        if (nq == QB) {
            int common = Math.min(Math.min(last[0], last[1]), Math.min(last[2], last[3]));
            int p1 = po + stride, p2 = p1 + stride, p3 = p2 + stride, z1 = zo + zStride, z2 = z1 + zStride, z3 = z2 + zStride;
            for (; c + 2 * L <= n; c += 2 * L) {
                FloatVector a00 = FloatVector.fromArray(S, z, zo + c), a01 = FloatVector.fromArray(S, z, zo + c + L);
                FloatVector a10 = FloatVector.fromArray(S, z, z1 + c), a11 = FloatVector.fromArray(S, z, z1 + c + L);
                FloatVector a20 = FloatVector.fromArray(S, z, z2 + c), a21 = FloatVector.fromArray(S, z, z2 + c + L);
                FloatVector a30 = FloatVector.fromArray(S, z, z3 + c), a31 = FloatVector.fromArray(S, z, z3 + c + L);
                for (int j = 0, vo = v0 + c; j <= common; j++, vo += n) {
                    FloatVector x0 = FloatVector.fromArray(S, values, vo), x1 = FloatVector.fromArray(S, values, vo + L);
                    FloatVector b0 = FloatVector.broadcast(S, p[po + j]);
                    a00 = b0.fma(x0, a00);
                    a01 = b0.fma(x1, a01);
                    FloatVector b1 = FloatVector.broadcast(S, p[p1 + j]);
                    a10 = b1.fma(x0, a10);
                    a11 = b1.fma(x1, a11);
                    FloatVector b2 = FloatVector.broadcast(S, p[p2 + j]);
                    a20 = b2.fma(x0, a20);
                    a21 = b2.fma(x1, a21);
                    FloatVector b3 = FloatVector.broadcast(S, p[p3 + j]);
                    a30 = b3.fma(x0, a30);
                    a31 = b3.fma(x1, a31);
                }
                a00.intoArray(z, zo + c);
                a01.intoArray(z, zo + c + L);
                a10.intoArray(z, z1 + c);
                a11.intoArray(z, z1 + c + L);
                a20.intoArray(z, z2 + c);
                a21.intoArray(z, z2 + c + L);
                a30.intoArray(z, z3 + c);
                a31.intoArray(z, z3 + c + L);
                for (int i = 0; i < QB; i++) {
                    sum1(p, po + i * stride, common + 1, last[i], values, v0, z, zo + i * zStride, n, c, c + 2 * L);
                }
            }
        }
        // the columns not done above (all of them for fewer than four queries), one query at a time from key 0
        for (int i = 0; i < nq; i++) sum1(p, po + i * stride, 0, last[i], values, v0, z, zo + i * zStride, n, c, n);
    }

    /** One query's z[zo + e] += Σ_{j = from..last} p[po + j] · values[v0 + j·n + e] for e in [c0, c1), j in order. */
    private static void sum1(float[] p, int po, int from, int last, float[] values, int v0, float[] z, int zo, int n, int c0, int c1) {
        int c = c0;
        for (; c + L <= c1; c += L) {
            FloatVector a = FloatVector.fromArray(S, z, zo + c);
            for (int j = from, vo = v0 + from * n + c; j <= last; j++, vo += n) {
                a = FloatVector.broadcast(S, p[po + j]).fma(FloatVector.fromArray(S, values, vo), a);
            }
            a.intoArray(z, zo + c);
        }
        for (; c < c1; c++) {
            float a = z[zo + c];
            for (int j = from; j <= last; j++) a = Math.fma(p[po + j], values[v0 + j * n + c], a);
            z[zo + c] = a;
        }
    }
}
