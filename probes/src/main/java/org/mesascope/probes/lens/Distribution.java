package org.mesascope.probes.lens;

import org.mesascope.core.MesascopeException;

import java.util.PriorityQueue;
import java.util.function.Supplier;

/**
 * The softmax of one float32 logit vector, evaluated in double. Only log Z is stored: probabilities are
 * recomputed from the logits on demand, so scoring a position never allocates a vocabulary-sized array.
 */
final class Distribution {
    private final float[] logits;
    private final int offset;
    private final int size;
    /** log Σ exp(logit), computed around the maximum so that no exp overflows. */
    private final double logZ;

    private Distribution(float[] logits, int offset, int size, double logZ) {
        this.logits = logits;
        this.offset = offset;
        this.size = size;
        this.logZ = logZ;
    }

    /**
     * The distribution of {@code logits[offset, offset + size)}.
     * @param where names the vector in the error raised for a NaN or infinite logit (such numbers must never
     *              reach a report)
     */
    static Distribution of(float[] logits, int offset, int size, Supplier<String> where) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < size; i++) {
            float x = logits[offset + i];
            if (!Float.isFinite(x)) throw new MesascopeException(where.get() + ": logit of token " + i + " is " + x);
            max = Math.max(max, x);
        }
        double sum = 0;
        for (int i = 0; i < size; i++) sum += Math.exp(logits[offset + i] - max);
        return new Distribution(logits, offset, size, max + Math.log(sum));
    }

    double logProb(int id) {
        return logits[offset + id] - logZ;
    }

    double prob(int id) {
        return Math.exp(logProb(id));
    }

    /** −Σ p log p, in nats. */
    double entropy() {
        double h = 0;
        for (int i = 0; i < size; i++) {
            double lp = logProb(i);
            h -= Math.exp(lp) * lp;
        }
        return h;
    }

    /** KL(p ‖ this) = Σ p (log p − log q), in nats; {@code p} must have the same size. */
    double klFrom(Distribution p) {
        if (p.size != size) throw new IllegalArgumentException("distributions of " + p.size + " and " + size + " tokens");
        double kl = 0;
        for (int i = 0; i < size; i++) {
            double lp = p.logProb(i);
            kl += Math.exp(lp) * (lp - logProb(i));
        }
        // KL is never negative; rounding over two nearly equal distributions can leave a -1e-17
        return Math.max(0, kl);
    }

    /** 1 for the most probable token; tied tokens share the best rank (1 + the number strictly more probable). */
    int rank(int id) {
        float x = logits[offset + id];
        int above = 0;
        for (int i = 0; i < size; i++) if (logits[offset + i] > x) above++;
        return above + 1;
    }

    /** The {@code k} most probable token ids (at most all of them), most probable first; ties go to the lower id. */
    int[] top(int k) {
        int n = Math.min(k, size);
        // a min-heap of the best n so far: its head is the one a better candidate pushes out
        PriorityQueue<Integer> heap = new PriorityQueue<>(n + 1, (a, b) -> better(a, b) ? 1 : -1);
        for (int i = 0; i < size; i++) {
            if (heap.size() < n) heap.add(i);
            else if (better(i, heap.peek())) {
                heap.poll();
                heap.add(i);
            }
        }
        int[] ids = new int[n];
        for (int j = n - 1; j >= 0; j--) ids[j] = heap.poll();
        return ids;
    }

    private boolean better(int a, int b) {
        float xa = logits[offset + a], xb = logits[offset + b];
        return xa > xb || (xa == xb && a < b);
    }
}
