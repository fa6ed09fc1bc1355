package org.mesascope.core.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.mesascope.core.io.WeightTensor;

/**
 * y[M,N] = x[M,K] · W (+ bias), with W read in place from the memory-mapped checkpoint.
 *
 * <p>W is either {@link Layout#OUT_IN} ([N, K], torch.nn.Linear) or {@link Layout#IN_OUT} ([K, N], GPT-2's
 * Conv1D). Columns are processed in panels of {@link #PANEL} that are packed ("k-major, NR columns wide") into a
 * per-thread buffer, converting F16/BF16 to float32 on the way; the packed panel is then reused by every row of x.
 * The micro-kernel keeps a 4×NR block of y in vector registers and accumulates over k with FMA, in the same
 * order for every row, so a row's result does not depend on which other rows are in the batch.
 */
public final class Gemm {
    public enum Layout {OUT_IN, IN_OUT}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Columns per micro-kernel strip: two vectors. */
    static final int NR = 2 * L;
    /** Columns per task: a few strips, so that a packed panel (K × PANEL floats) stays in L2. */
    static final int PANEL = 4 * NR;
    private static final int MR = 4;

    private static final ThreadLocal<float[]> PACK = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> ROW = ThreadLocal.withInitial(() -> new float[0]);

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
            float[] pack = buffer(PACK, strips * NR * k);
            packPanel(w, layout, k, n, n0, width, strips, pack);
            for (int s = 0; s < strips; s++) {
                int cols = Math.min(NR, width - s * NR);
                int off = s * NR * k;
                int i = 0;
                for (; i + MR <= m; i += MR) kernel4(x, i, k, pack, off, y, n, n0 + s * NR, cols);
                for (; i < m; i++) kernel1(x, i, k, pack, off, y, n, n0 + s * NR, cols);
            }
            if (bias != null) {
                for (int i = 0; i < m; i++) {
                    int row = i * n;
                    for (int j = n0; j < n0 + width; j++) y[row + j] += bias[j];
                }
            }
        });
    }

    private static float[] buffer(ThreadLocal<float[]> tl, int size) {
        float[] b = tl.get();
        if (b.length < size) {
            b = new float[size];
            tl.set(b);
        }
        return b;
    }

    /** pack[s*NR*k + kk*NR + j] = W(kk, n0 + s*NR + j), zero beyond the panel's width. */
    private static void packPanel(WeightTensor w, Layout layout, int k, int n, int n0, int width, int strips, float[] pack) {
        if (width < strips * NR) java.util.Arrays.fill(pack, 0, strips * NR * k, 0f);
        if (layout == Layout.OUT_IN) {
            float[] row = buffer(ROW, k);
            for (int j = 0; j < width; j++) {
                w.read((long) (n0 + j) * k, row, 0, k);
                int base = (j / NR) * NR * k + (j % NR);
                for (int kk = 0; kk < k; kk++) pack[base + kk * NR] = row[kk];
            }
        } else {
            float[] row = buffer(ROW, width);
            for (int kk = 0; kk < k; kk++) {
                w.read((long) kk * n + n0, row, 0, width);
                for (int s = 0; s < strips; s++) {
                    int cols = Math.min(NR, width - s * NR);
                    System.arraycopy(row, s * NR, pack, s * NR * k + kk * NR, cols);
                }
            }
        }
    }

    private static void kernel4(float[] x, int i, int k, float[] pack, int off, float[] y, int n, int col, int cols) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        int x0 = i * k, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k;
        for (int kk = 0; kk < k; kk++) {
            int b = off + kk * NR;
            FloatVector b0 = FloatVector.fromArray(S, pack, b);
            FloatVector b1 = FloatVector.fromArray(S, pack, b + L);
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
        store(c00, c01, y, i * n + col, cols);
        store(c10, c11, y, (i + 1) * n + col, cols);
        store(c20, c21, y, (i + 2) * n + col, cols);
        store(c30, c31, y, (i + 3) * n + col, cols);
    }

    private static void kernel1(float[] x, int i, int k, float[] pack, int off, float[] y, int n, int col, int cols) {
        FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S);
        int x0 = i * k;
        for (int kk = 0; kk < k; kk++) {
            int b = off + kk * NR;
            FloatVector a = FloatVector.broadcast(S, x[x0 + kk]);
            c0 = a.fma(FloatVector.fromArray(S, pack, b), c0);
            c1 = a.fma(FloatVector.fromArray(S, pack, b + L), c1);
        }
        store(c0, c1, y, i * n + col, cols);
    }

    private static void store(FloatVector lo, FloatVector hi, float[] y, int at, int cols) {
        if (cols == NR) {
            lo.intoArray(y, at);
            hi.intoArray(y, at + L);
            return;
        }
        float[] tmp = new float[NR];
        lo.intoArray(tmp, 0);
        hi.intoArray(tmp, L);
        System.arraycopy(tmp, 0, y, at, cols);
    }

}
