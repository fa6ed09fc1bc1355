package org.mesascope.core.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.mesascope.core.io.DType;
import org.mesascope.core.io.WeightTensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * y[M,N] = x[M,K] · W (+ bias), W read from the memory-mapped checkpoint.
 *
 * <p>W is either {@link Layout#OUT_IN} ([N, K], torch.nn.Linear) or {@link Layout#IN_OUT} ([K, N], GPT-2's Conv1D).
 * Each task owns a panel of {@link #PANEL} output columns: it packs that slice of W into a per-thread buffer as
 * strips of NR = 2 vectors of columns, k-major (converting F16/BF16 to float32 and transposing [N, K] on the way),
 * then runs a 6×NR register-blocked micro-kernel over all rows of x: twelve vector accumulators, one broadcast of x
 * and two loads of W per step of k, FMA throughout. Packing costs O(K·PANEL) per panel against O(M·K·PANEL) of
 * arithmetic, and makes the kernel's loads contiguous whatever the checkpoint's layout and dtype.
 *
 * <p>Every output is accumulated over k in the same order whichever block its row falls in, so a row's result does
 * not depend on the other rows of the batch (a batch of prompts gives bit-identical projections to single runs).
 */
public final class Gemm {
    public enum Layout {OUT_IN, IN_OUT}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Columns per micro-kernel strip: two vectors. */
    private static final int NR = 2 * L;
    /** Rows of x per micro-kernel call: 6 rows × 2 vectors = 12 accumulators, which fits 16 vector registers. */
    private static final int MR = 6;
    /** Columns per task: a packed panel of K × PANEL floats stays in L2 (K = 3072: 768 KiB at PANEL 64, half that at 32). */
    private static final int PANEL = 4 * NR;

    private static final ThreadLocal<float[]> PACKED = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> STAGING = ThreadLocal.withInitial(() -> new float[0]);

    private Gemm() {
    }

    /**
     * @param x    row-major [m, k]
     * @param w    weight, shape [n, k] (OUT_IN) or [k, n] (IN_OUT)
     * @param bias length n, or null
     * @param y    row-major [m, n], overwritten
     */
    public static void matmul(float[] x, int m, int k, WeightTensor w, Layout layout, float[] bias, float[] y, int n) {
        int panels = (n + PANEL - 1) / PANEL;
        Parallel.forEach(panels, p -> {
            int n0 = p * PANEL;
            int width = Math.min(PANEL, n - n0);
            int strips = (width + NR - 1) / NR;
            float[] packed = buffer(PACKED, strips * NR * k);
            if (layout == Layout.OUT_IN) packRows(w, k, n0, width, packed);
            else packColumns(w, k, n, n0, width, packed);
            for (int s = 0; s < strips; s++) {
                int col = n0 + s * NR, cols = Math.min(NR, width - s * NR), off = s * NR * k;
                int i = 0;
                for (; i + MR <= m; i += MR) kernel6(x, i, k, packed, off, y, n, col, cols);
                for (; i < m; i++) kernel1(x, i, k, packed, off, y, n, col, cols);
            }
            if (bias != null) {
                for (int i = 0; i < m; i++) {
                    for (int j = n0; j < n0 + width; j++) y[i * n + j] += bias[j];
                }
            }
        });
    }

    private static float[] buffer(ThreadLocal<float[]> local, int size) {
        float[] b = local.get();
        if (b.length < size) {
            b = new float[size];
            local.set(b);
        }
        return b;
    }

    /** [N, K] layout: rows n0.. of W, read NR at a time (contiguous), transposed into k-major strips. */
    private static void packRows(WeightTensor w, int k, int n0, int width, float[] packed) {
        float[] rows = buffer(STAGING, NR * k);
        for (int s = 0; s * NR < width; s++) {
            int cols = Math.min(NR, width - s * NR), base = s * NR * k;
            w.read((long) (n0 + s * NR) * k, rows, 0, cols * k);
            for (int kk = 0; kk < k; kk++) {
                int o = base + kk * NR;
                for (int j = 0; j < cols; j++) packed[o + j] = rows[j * k + kk];
                for (int j = cols; j < NR; j++) packed[o + j] = 0f;
            }
        }
    }

    /** [K, N] layout: for each k, columns n0..n0+width of W are contiguous; split them into the strips. */
    private static void packColumns(WeightTensor w, int k, int n, int n0, int width, float[] packed) {
        if (w.dtype() == DType.F32 && width == PANEL) {
            // the common case, straight from the mapped file with vector loads
            MemorySegment seg = w.segment();
            for (int kk = 0; kk < k; kk++) {
                long at = ((long) kk * n + n0) * 4;
                for (int s = 0; s < PANEL / NR; s++) {
                    int o = s * NR * k + kk * NR;
                    FloatVector.fromMemorySegment(S, seg, at + s * NR * 4L, ByteOrder.LITTLE_ENDIAN).intoArray(packed, o);
                    FloatVector.fromMemorySegment(S, seg, at + (s * NR + L) * 4L, ByteOrder.LITTLE_ENDIAN).intoArray(packed, o + L);
                }
            }
            return;
        }
        float[] row = buffer(STAGING, width);
        int strips = (width + NR - 1) / NR;
        for (int kk = 0; kk < k; kk++) {
            w.read((long) kk * n + n0, row, 0, width);
            for (int s = 0; s < strips; s++) {
                int cols = Math.min(NR, width - s * NR), o = s * NR * k + kk * NR;
                System.arraycopy(row, s * NR, packed, o, cols);
                for (int j = cols; j < NR; j++) packed[o + j] = 0f;
            }
        }
    }

    private static void kernel6(float[] x, int i, int k, float[] p, int off, float[] y, int n, int col, int cols) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S), c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        int x0 = i * k, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k, x4 = x3 + k, x5 = x4 + k;
        for (int kk = 0; kk < k; kk++) {
            int b = off + kk * NR;
            FloatVector b0 = FloatVector.fromArray(S, p, b), b1 = FloatVector.fromArray(S, p, b + L);
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
            a = FloatVector.broadcast(S, x[x4 + kk]);
            c40 = a.fma(b0, c40);
            c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(S, x[x5 + kk]);
            c50 = a.fma(b0, c50);
            c51 = a.fma(b1, c51);
        }
        store(c00, c01, y, i * n + col, cols);
        store(c10, c11, y, (i + 1) * n + col, cols);
        store(c20, c21, y, (i + 2) * n + col, cols);
        store(c30, c31, y, (i + 3) * n + col, cols);
        store(c40, c41, y, (i + 4) * n + col, cols);
        store(c50, c51, y, (i + 5) * n + col, cols);
    }

    private static void kernel1(float[] x, int i, int k, float[] p, int off, float[] y, int n, int col, int cols) {
        FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S);
        int x0 = i * k;
        for (int kk = 0; kk < k; kk++) {
            int b = off + kk * NR;
            FloatVector a = FloatVector.broadcast(S, x[x0 + kk]);
            c0 = a.fma(FloatVector.fromArray(S, p, b), c0);
            c1 = a.fma(FloatVector.fromArray(S, p, b + L), c1);
        }
        store(c0, c1, y, i * n + col, cols);
    }

    private static void store(FloatVector c0, FloatVector c1, float[] y, int at, int cols) {
        if (cols == NR) {
            c0.intoArray(y, at);
            c1.intoArray(y, at + L);
            return;
        }
        float[] strip = new float[NR]; // the panel's last, narrower strip: rare
        c0.intoArray(strip, 0);
        c1.intoArray(strip, L);
        System.arraycopy(strip, 0, y, at, cols);
    }
}
