package org.mesascope.core.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.mesascope.core.hooks.Hooks;
import org.mesascope.core.model.Batch;
import org.mesascope.core.model.KvCache;
import org.mesascope.core.tensor.Tensor;

/**
 * Causal multi-head attention with grouped-query heads, over a KV store (the generation cache, or a transient
 * one for a plain pass). The pattern [B, heads, T, Tk] is only materialized when a hook asks for it; then the
 * hook's (possibly replaced) pattern is what multiplies the values, so interventions on it take effect.
 */
public final class Attention {
    private Attention() {
    }

    /**
     * @param q     [B*T, heads*headDim], rotary already applied
     * @param k     [B*T, kvHeads*headDim], rotary already applied
     * @param v     [B*T, kvHeads*headDim]
     * @param cache holds earlier positions and receives the new ones; null for a plain pass
     * @param window sliding window in positions (0: none)
     * @return z [B*T, heads*headDim], the heads' outputs before the output projection
     */
    public static float[] attend(Batch batch, float[] q, float[] k, float[] v, int heads, int kvHeads, int headDim,
                                 KvCache cache, int layer, double scale, int window, Hooks hooks, String patternHook) {
        int bsz = batch.size(), width = batch.width();
        KvCache store = cache != null ? cache : new KvCache(1, bsz, kvHeads, headDim, width);
        int storeLayer = cache != null ? layer : 0;
        float[] keys = store.keys(storeLayer), values = store.values(storeLayer);
        int kvDim = kvHeads * headDim;
        for (int b = 0; b < bsz; b++) {
            if (batch.start(b) + width > store.capacity()) {
                throw new IllegalStateException("KV cache holds " + store.capacity() + " positions, sequence " + b + " needs " + (batch.start(b) + width));
            }
            for (int t = 0; t < width; t++) {
                int row = (b * width + t) * kvDim;
                for (int h = 0; h < kvHeads; h++) {
                    int at = store.offset(b, h, batch.start(b) + t);
                    System.arraycopy(k, row + h * headDim, keys, at, headDim);
                    System.arraycopy(v, row + h * headDim, values, at, headDim);
                }
            }
        }
        int keyWidth = 0;
        for (int b = 0; b < bsz; b++) keyWidth = Math.max(keyWidth, batch.start(b) + width);
        int tk = keyWidth;
        int group = heads / kvHeads;
        float[] z = new float[bsz * width * heads * headDim];

        Tensor pattern = null;
        if (hooks.wants(patternHook)) {
            float[] p = new float[bsz * heads * width * tk];
            Parallel.forEach(bsz * heads, bh -> {
                int b = bh / heads, h = bh % heads;
                for (int t = 0; t < width; t++) {
                    int pos = batch.start(b) + t;
                    probabilities(q, (b * width + t) * heads * headDim + h * headDim, keys, store, b, h / group,
                            headDim, pos, window, scale, p, ((b * heads + h) * width + t) * tk);
                }
            });
            pattern = hooks.at(patternHook, new Tensor(p, bsz, heads, width, tk));
        }
        float[] pat = pattern == null ? null : pattern.data();
        Parallel.forEach(bsz * heads, bh -> {
            int b = bh / heads, h = bh % heads;
            float[] row = pat == null ? new float[tk] : null;
            for (int t = 0; t < width; t++) {
                int pos = batch.start(b) + t;
                float[] probs;
                int po;
                if (pat == null) {
                    probabilities(q, (b * width + t) * heads * headDim + h * headDim, keys, store, b, h / group,
                            headDim, pos, window, scale, row, 0);
                    probs = row;
                    po = 0;
                } else {
                    probs = pat;
                    po = ((b * heads + h) * width + t) * tk;
                }
                int zo = (b * width + t) * heads * headDim + h * headDim;
                // a pattern from a hook may weigh any position this sequence has, not only the causal ones
                int last = pat == null ? pos : batch.start(b) + width - 1;
                weightedSum(probs, po, last, values, store.offset(b, h / group, 0), z, zo, headDim);
            }
        });
        return z;
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ThreadLocal<double[]> SCORES = ThreadLocal.withInitial(() -> new double[64]);

    /**
     * a[ao..ao+n) · b[bo..bo+n), vectorized over whole vectors, then the rest in order. The lanes are summed in a fixed
     * order through {@code lanes}: reduceLanes(ADD) may associate differently compiled and interpreted, and a pass
     * must give the same bits whenever it runs.
     */
    static float dot(float[] a, int ao, float[] b, int bo, int n, float[] lanes) {
        int nv = n - n % S.length();
        FloatVector acc = FloatVector.zero(S);
        for (int i = 0; i < nv; i += S.length()) {
            acc = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc);
        }
        return finishDot(acc, a, ao, b, bo, nv, n, lanes);
    }

    /** The end of {@link #dot}: acc's lanes left to right, then the tail [nv, n) by scalar FMA. */
    private static float finishDot(FloatVector acc, float[] a, int ao, float[] b, int bo, int nv, int n, float[] lanes) {
        acc.intoArray(lanes, 0);
        float sum = 0;
        for (float lane : lanes) sum += lane;
        for (int i = nv; i < n; i++) sum = Math.fma(a[ao + i], b[bo + i], sum);
        return sum;
    }

    /**
     * {@link #dot} of a against four consecutive rows of b (b + bo, b + bo + n, ...), into out[o..o+4). Each is
     * computed exactly as dot computes it; doing four at once only gives the core four independent FMA chains
     * instead of one that waits on the FMA latency.
     */
    static void dot4(float[] a, int ao, float[] b, int bo, int n, float[] lanes, float[] out, int o) {
        int nv = n - n % S.length();
        int b1 = bo + n, b2 = b1 + n, b3 = b2 + n;
        FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S), c2 = FloatVector.zero(S), c3 = FloatVector.zero(S);
        for (int i = 0; i < nv; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, a, ao + i);
            c0 = x.fma(FloatVector.fromArray(S, b, bo + i), c0);
            c1 = x.fma(FloatVector.fromArray(S, b, b1 + i), c1);
            c2 = x.fma(FloatVector.fromArray(S, b, b2 + i), c2);
            c3 = x.fma(FloatVector.fromArray(S, b, b3 + i), c3);
        }
        out[o] = finishDot(c0, a, ao, b, bo, nv, n, lanes);
        out[o + 1] = finishDot(c1, a, ao, b, b1, nv, n, lanes);
        out[o + 2] = finishDot(c2, a, ao, b, b2, nv, n, lanes);
        out[o + 3] = finishDot(c3, a, ao, b, b3, nv, n, lanes);
    }

    /**
     * z[zo..zo+n) += Σ_j p[po+j] · values[v0 + j·n ..], j = 0..last in order, skipping zero weights: per element
     * z = fma(p_j, v_j, z) for each j in turn (the same as one axpy per j), with a block of z held in registers
     * across all j rather than loaded and stored again for each.
     */
    static void weightedSum(float[] p, int po, int last, float[] values, int v0, float[] z, int zo, int n) {
        int len = S.length(), nv = n - n % len;
        int c = 0;
        for (; c + 4 * len <= nv; c += 4 * len) {
            FloatVector z0 = FloatVector.fromArray(S, z, zo + c), z1 = FloatVector.fromArray(S, z, zo + c + len);
            FloatVector z2 = FloatVector.fromArray(S, z, zo + c + 2 * len), z3 = FloatVector.fromArray(S, z, zo + c + 3 * len);
            for (int j = 0; j <= last; j++) {
                float pj = p[po + j];
                if (pj == 0f) continue;
                FloatVector a = FloatVector.broadcast(S, pj);
                int vo = v0 + j * n + c;
                z0 = a.fma(FloatVector.fromArray(S, values, vo), z0);
                z1 = a.fma(FloatVector.fromArray(S, values, vo + len), z1);
                z2 = a.fma(FloatVector.fromArray(S, values, vo + 2 * len), z2);
                z3 = a.fma(FloatVector.fromArray(S, values, vo + 3 * len), z3);
            }
            z0.intoArray(z, zo + c);
            z1.intoArray(z, zo + c + len);
            z2.intoArray(z, zo + c + 2 * len);
            z3.intoArray(z, zo + c + 3 * len);
        }
        for (; c < nv; c += len) {
            FloatVector z0 = FloatVector.fromArray(S, z, zo + c);
            for (int j = 0; j <= last; j++) {
                float pj = p[po + j];
                if (pj != 0f) z0 = FloatVector.broadcast(S, pj).fma(FloatVector.fromArray(S, values, v0 + j * n + c), z0);
            }
            z0.intoArray(z, zo + c);
        }
        for (int i = nv; i < n; i++) {
            float acc = z[zo + i];
            for (int j = 0; j <= last; j++) {
                float pj = p[po + j];
                if (pj != 0f) acc = Math.fma(pj, values[v0 + j * n + i], acc);
            }
            z[zo + i] = acc;
        }
    }

    /** Softmax of scaled scores of one query against keys 0..pos (window permitting) into out[o..o+pos]; zeros elsewhere. */
    private static void probabilities(float[] q, int qo, float[] keys, KvCache store, int b, int kvHead, int headDim,
                                      int pos, int window, double scale, float[] out, int o) {
        int first = window > 0 ? Math.max(0, pos - window + 1) : 0;
        double max = Double.NEGATIVE_INFINITY;
        double[] s = SCORES.get();
        if (s.length < pos + 1) {
            s = new double[Math.max(pos + 1, 2 * s.length)];
            SCORES.set(s);
        }
        float[] lanes = new float[S.length()], four = new float[4];
        int j = first;
        // keys j.. are consecutive rows of the store: four dots at a time, each as dot() computes it alone
        for (; j + 3 <= pos; j += 4) {
            dot4(q, qo, keys, store.offset(b, kvHead, j), headDim, lanes, four, 0);
            for (int u = 0; u < 4; u++) s[j + u] = four[u] * scale;
        }
        for (; j <= pos; j++) s[j] = dot(q, qo, keys, store.offset(b, kvHead, j), headDim, lanes) * scale;
        for (j = first; j <= pos; j++) max = Math.max(max, s[j]);
        double sum = 0;
        for (j = first; j <= pos; j++) {
            s[j] = Math.exp(s[j] - max);
            sum += s[j];
        }
        java.util.Arrays.fill(out, o, o + first, 0f);
        for (j = first; j <= pos; j++) out[o + j] = (float) (s[j] / sum);
    }
}
