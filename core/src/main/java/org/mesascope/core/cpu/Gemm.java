package org.mesascope.core.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.mesascope.core.io.DType;
import org.mesascope.core.io.WeightTensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * y[M,N] = x[M,K] · W (+ bias), with W read in place from the memory-mapped checkpoint.
 *
 * <p>Two layouts, two kernels, neither of which copies or transposes an F32 weight:
 * <ul>
 *   <li>{@link Layout#OUT_IN} ([N, K], torch.nn.Linear): each output is a dot product of an x row and a W row, both
 *   contiguous in k. A 4×2 block of outputs keeps 8 vector accumulators, reduced across lanes at the end.</li>
 *   <li>{@link Layout#IN_OUT} ([K, N], GPT-2's Conv1D): each row of y is a sum of W rows scaled by x; a 4×2·L block
 *   of y lives in registers while k runs (broadcast x, FMA with a W row slice).</li>
 * </ul>
 * F16 and BF16 weights are converted to float32 one panel at a time into a per-thread buffer, then the same kernels
 * run on it. Every output element is accumulated in the same order whatever block it falls in, so a row's result
 * does not depend on the other rows of the batch.
 */
public final class Gemm {
    public enum Layout {OUT_IN, IN_OUT}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** OUT_IN: W rows per task (a panel of 32 rows × K floats stays in L2). */
    private static final int ROWS_PER_TASK = 32;
    /** IN_OUT: y columns per task. */
    private static final int COLS_PER_TASK = 8 * L;

    private static final ThreadLocal<float[]> CONVERTED = ThreadLocal.withInitial(() -> new float[0]);

    private Gemm() {
    }

    /**
     * @param x    row-major [m, k]
     * @param w    weight, shape [n, k] (OUT_IN) or [k, n] (IN_OUT)
     * @param bias length n, or null
     * @param y    row-major [m, n], overwritten
     */
    public static void matmul(float[] x, int m, int k, WeightTensor w, Layout layout, float[] bias, float[] y, int n) {
        if (layout == Layout.OUT_IN) {
            int tasks = (n + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
            Parallel.forEach(tasks, t -> {
                int j0 = t * ROWS_PER_TASK, j1 = Math.min(n, j0 + ROWS_PER_TASK);
                MemorySegment ws;
                long base;
                if (w.dtype() == DType.F32) {
                    ws = w.segment();
                    base = (long) j0 * k * 4;
                } else {
                    float[] buf = convert(w, (long) j0 * k, (j1 - j0) * k);
                    ws = MemorySegment.ofArray(buf);
                    base = 0;
                }
                dotPanel(x, m, k, ws, base, j0, j1, y, n);
                addBias(bias, y, m, n, j0, j1);
            });
        } else {
            int tasks = (n + COLS_PER_TASK - 1) / COLS_PER_TASK;
            Parallel.forEach(tasks, t -> {
                int c0 = t * COLS_PER_TASK, c1 = Math.min(n, c0 + COLS_PER_TASK);
                if (w.dtype() == DType.F32) {
                    axpyPanel(x, m, k, w.segment(), (long) c0 * 4, (long) n * 4, c0, c1, y, n);
                } else {
                    int width = c1 - c0;
                    float[] buf = convertColumns(w, k, n, c0, width);
                    axpyPanel(x, m, k, MemorySegment.ofArray(buf), 0, (long) width * 4, c0, c1, y, n);
                }
                addBias(bias, y, m, n, c0, c1);
            });
        }
    }

    private static void addBias(float[] bias, float[] y, int m, int n, int from, int to) {
        if (bias == null) return;
        for (int i = 0; i < m; i++) {
            int row = i * n;
            for (int j = from; j < to; j++) y[row + j] += bias[j];
        }
    }

    private static float[] buffer(int size) {
        float[] b = CONVERTED.get();
        if (b.length < size) {
            b = new float[size];
            CONVERTED.set(b);
        }
        return b;
    }

    /** Elements [from, from+len) of w as float32, in a per-thread buffer. */
    private static float[] convert(WeightTensor w, long from, int len) {
        float[] buf = buffer(len);
        w.read(from, buf, 0, len);
        return buf;
    }

    /** Columns [c0, c0+width) of a [k, n] weight as a [k, width] float32 block. */
    private static float[] convertColumns(WeightTensor w, int k, int n, int c0, int width) {
        float[] buf = buffer(k * width);
        for (int kk = 0; kk < k; kk++) w.read((long) kk * n + c0, buf, kk * width, width);
        return buf;
    }

    // ---------------------------------------------------------------- OUT_IN: dot products

    /** y[i, j] = x[i, :] · W[j, :] for j in [j0, j1); W row j starts at byte base + (j - j0)·k·4 of ws. */
    private static void dotPanel(float[] x, int m, int k, MemorySegment ws, long base, int j0, int j1, float[] y, int n) {
        int kv = k - k % L;
        long rowBytes = (long) k * 4;
        int i = 0;
        for (; i + 4 <= m; i += 4) {
            int j = j0;
            for (; j + 2 <= j1; j += 2) dot4x2(x, i, k, kv, ws, base + (j - j0) * rowBytes, rowBytes, y, n, j);
            for (; j < j1; j++) for (int r = 0; r < 4; r++) y[(i + r) * n + j] = dot1(x, (i + r) * k, k, kv, ws, base + (j - j0) * rowBytes);
        }
        for (; i < m; i++) {
            for (int j = j0; j < j1; j++) y[i * n + j] = dot1(x, i * k, k, kv, ws, base + (j - j0) * rowBytes);
        }
    }

    private static void dot4x2(float[] x, int i, int k, int kv, MemorySegment ws, long w0, long rowBytes, float[] y, int n, int j) {
        FloatVector a00 = FloatVector.zero(S), a01 = FloatVector.zero(S), a10 = FloatVector.zero(S), a11 = FloatVector.zero(S);
        FloatVector a20 = FloatVector.zero(S), a21 = FloatVector.zero(S), a30 = FloatVector.zero(S), a31 = FloatVector.zero(S);
        int x0 = i * k, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k;
        long w1 = w0 + rowBytes;
        for (int kk = 0; kk < kv; kk += L) {
            FloatVector b0 = FloatVector.fromMemorySegment(S, ws, w0 + kk * 4L, LE);
            FloatVector b1 = FloatVector.fromMemorySegment(S, ws, w1 + kk * 4L, LE);
            FloatVector v = FloatVector.fromArray(S, x, x0 + kk);
            a00 = v.fma(b0, a00);
            a01 = v.fma(b1, a01);
            v = FloatVector.fromArray(S, x, x1 + kk);
            a10 = v.fma(b0, a10);
            a11 = v.fma(b1, a11);
            v = FloatVector.fromArray(S, x, x2 + kk);
            a20 = v.fma(b0, a20);
            a21 = v.fma(b1, a21);
            v = FloatVector.fromArray(S, x, x3 + kk);
            a30 = v.fma(b0, a30);
            a31 = v.fma(b1, a31);
        }
        y[i * n + j] = finish(a00, x, x0, k, kv, ws, w0);
        y[i * n + j + 1] = finish(a01, x, x0, k, kv, ws, w1);
        y[(i + 1) * n + j] = finish(a10, x, x1, k, kv, ws, w0);
        y[(i + 1) * n + j + 1] = finish(a11, x, x1, k, kv, ws, w1);
        y[(i + 2) * n + j] = finish(a20, x, x2, k, kv, ws, w0);
        y[(i + 2) * n + j + 1] = finish(a21, x, x2, k, kv, ws, w1);
        y[(i + 3) * n + j] = finish(a30, x, x3, k, kv, ws, w0);
        y[(i + 3) * n + j + 1] = finish(a31, x, x3, k, kv, ws, w1);
    }

    private static float dot1(float[] x, int xo, int k, int kv, MemorySegment ws, long wo) {
        FloatVector a = FloatVector.zero(S);
        for (int kk = 0; kk < kv; kk += L) {
            a = FloatVector.fromArray(S, x, xo + kk).fma(FloatVector.fromMemorySegment(S, ws, wo + kk * 4L, LE), a);
        }
        return finish(a, x, xo, k, kv, ws, wo);
    }

    /** Lane sum, then the k % L leftover products in order: the same steps for every block shape. */
    private static float finish(FloatVector acc, float[] x, int xo, int k, int kv, MemorySegment ws, long wo) {
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (int kk = kv; kk < k; kk++) s = Math.fma(x[xo + kk], ws.get(WeightTensor.F32_LE, wo + kk * 4L), s);
        return s;
    }

    // ---------------------------------------------------------------- IN_OUT: scaled row sums

    /**
     * y[i, c] = Σ_k x[i, k] · W[k, c] for c in [c0, c1); W[k, c0 + jj] is at byte base + k·stride + jj·4 of ws.
     * Strips of 2·L columns; the last one masked.
     */
    private static void axpyPanel(float[] x, int m, int k, MemorySegment ws, long base, long stride, int c0, int c1, float[] y, int n) {
        for (int c = c0; c < c1; c += 2 * L) {
            int cols = Math.min(2 * L, c1 - c);
            long off = base + (long) (c - c0) * 4;
            VectorMask<Float> m0 = S.indexInRange(0, cols), m1 = S.indexInRange(L, cols);
            int i = 0;
            for (; i + 4 <= m; i += 4) axpy4(x, i, k, ws, off, stride, m0, m1, y, n, c);
            for (; i < m; i++) axpy1(x, i, k, ws, off, stride, m0, m1, y, n, c);
        }
    }

    private static void axpy4(float[] x, int i, int k, MemorySegment ws, long off, long stride,
                              VectorMask<Float> m0, VectorMask<Float> m1, float[] y, int n, int c) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        int x0 = i * k, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k;
        boolean full = m1.allTrue();
        for (int kk = 0; kk < k; kk++) {
            long at = off + kk * stride;
            FloatVector b0, b1;
            if (full) {
                b0 = FloatVector.fromMemorySegment(S, ws, at, LE);
                b1 = FloatVector.fromMemorySegment(S, ws, at + L * 4L, LE);
            } else {
                b0 = FloatVector.fromMemorySegment(S, ws, at, LE, m0);
                b1 = FloatVector.fromMemorySegment(S, ws, at + L * 4L, LE, m1);
            }
            FloatVector a = FloatVector.broadcast(S, x[x0 + kk]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(S, x[x1 + kk]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(S, x[x2 + kk]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(S, x[x3 + kk]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
        }
        store(c00, c01, m0, m1, y, i * n + c);
        store(c10, c11, m0, m1, y, (i + 1) * n + c);
        store(c20, c21, m0, m1, y, (i + 2) * n + c);
        store(c30, c31, m0, m1, y, (i + 3) * n + c);
    }

    private static void axpy1(float[] x, int i, int k, MemorySegment ws, long off, long stride,
                              VectorMask<Float> m0, VectorMask<Float> m1, float[] y, int n, int c) {
        FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S);
        int x0 = i * k;
        for (int kk = 0; kk < k; kk++) {
            long at = off + kk * stride;
            FloatVector a = FloatVector.broadcast(S, x[x0 + kk]);
            c0 = a.fma(FloatVector.fromMemorySegment(S, ws, at, LE, m0), c0);
            c1 = a.fma(FloatVector.fromMemorySegment(S, ws, at + L * 4L, LE, m1), c1);
        }
        store(c0, c1, m0, m1, y, i * n + c);
    }

    private static void store(FloatVector lo, FloatVector hi, VectorMask<Float> m0, VectorMask<Float> m1, float[] y, int at) {
        lo.intoArray(y, at, m0);
        hi.intoArray(y, at + L, m1);
    }
}
