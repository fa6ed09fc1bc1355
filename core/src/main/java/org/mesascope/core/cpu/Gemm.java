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
 * <p>Two paths compute it, chosen by the system property {@code mesascope.gemm} when the class loads (or later by
 * {@link #use}, for benchmarks that compare them in one process): {@code java} (the Vector API kernel below),
 * {@code openblas} (OpenBLAS's cblas_sgemm, see {@link Blas}), or {@code auto}, the default: OpenBLAS where its
 * library loads, for products of at least {@link #AUTO_MIN_ROWS} rows, the Java kernel for fewer (a generated token's
 * single row, where the Java kernel is as fast or faster: it reads the weights once, as OpenBLAS does, and starts no
 * threads). {@link #backend()} says which one runs.
 *
 * <p>The Java path: W is either {@link Layout#OUT_IN} ([N, K], torch.nn.Linear) or {@link Layout#IN_OUT} ([K, N], GPT-2's Conv1D).
 * Each task owns a panel of {@link #PANEL} output columns: it packs that slice of W into a per-thread buffer as
 * strips of NR = 2 vectors of columns, k-major (converting F16/BF16 to float32 and transposing [N, K] on the way),
 * then runs a 6×NR register-blocked micro-kernel over all rows of x: twelve vector accumulators, one broadcast of x
 * and two loads of W per step of k, FMA throughout. Packing costs O(K·PANEL) per panel against O(M·K·PANEL) of
 * arithmetic, and makes the kernel's loads contiguous whatever the checkpoint's layout and dtype.
 * Every output is accumulated over k in the same order whichever block its row falls in, so a row's result
 * does not depend on the other rows of the batch (a batch of prompts gives bit-identical projections to single runs).
 *
 * <p>The OpenBLAS path does not keep that last property: OpenBLAS picks its micro-kernels and splits rows between
 * threads by the number of rows, so a row's last bits depend on the other rows of the call (measured: relative
 * differences of order 1e-7; calling it on fixed blocks of 16 rows restores the property but costs 2–3× its speed).
 * Results stay well inside the engine's 1e-5 contract either way, but under OpenBLAS batched, patched and KV-cached
 * passes match single full passes to ~1e-6 rather than bit for bit. {@code -Dmesascope.gemm=java} gives that back;
 * the test suite runs on it (the parent pom) and checks the 1e-5 contract on both paths.
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
    /** F16/BF16 weights on the OpenBLAS path are converted a panel of about this many floats at a time (4 MiB). */
    private static final int CONVERTED_PANEL = 1 << 20;

    private static final ThreadLocal<float[]> PACKED = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> STAGING = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<short[]> HALVES = ThreadLocal.withInitial(() -> new short[0]);
    /** The OpenBLAS path's converted F16/BF16 panel, per calling thread (its own: pool tasks fill it meanwhile). */
    private static final ThreadLocal<float[]> CONVERTED = ThreadLocal.withInitial(() -> new float[0]);

    /** Whether matmul goes to OpenBLAS (for at least {@link #minRows} rows): from mesascope.gemm, or {@link #use}. */
    private static volatile boolean openBlas;
    /** The fewest rows auto sends to OpenBLAS (measured on 2 Zen 3 cores, GPT-2 small's MLP and unembedding). */
    static final int AUTO_MIN_ROWS = 16;
    private static volatile int minRows;
    /** The mode last given to {@link #use}. */
    private static volatile String mode;
    /** Set when openblas was asked for and OpenBLAS did not load, or the mode is unknown: matmul then fails with this. */
    private static volatile String refused;

    /** mesascope.gemm when unset. */
    static final String DEFAULT_MODE = "auto";

    static {
        use(System.getProperty("mesascope.gemm", DEFAULT_MODE));
    }

    /**
     * Switches every later matmul in this JVM to a path: "java", "openblas" or "auto" (as mesascope.gemm). For
     * benchmarks that time both paths in one process; not to be called while a forward pass runs. An unknown mode, or
     * openblas where it did not load, makes matmul and {@link #backend()} fail with the reason.
     */
    public static void use(String mode) {
        mode = mode.trim().toLowerCase(java.util.Locale.ROOT);
        boolean blas = false;
        String why = null;
        switch (mode) {
            case "java" -> {
                // Blas is not even touched: no native library is extracted or loaded
            }
            case "openblas" -> {
                blas = Blas.available();
                if (!blas) why = "mesascope.gemm=openblas, but OpenBLAS did not load: " + Blas.failure();
            }
            case "auto", "" -> blas = Blas.available();
            default -> why = "mesascope.gemm=" + mode + ": expected java, openblas or auto";
        }
        openBlas = blas;
        minRows = mode.equals("openblas") ? 1 : AUTO_MIN_ROWS;
        refused = why;
        Gemm.mode = mode;
    }

    private Gemm() {
    }

    /** The mode in effect ("java", "openblas" or "auto"), to give back to {@link #use} later. */
    public static String mode() {
        return mode;
    }

    /** One word for the GEMM path in use, for benchmark tables and logs: "openblas-0.3.31" or "java-vector". */
    public static String backend() {
        if (refused != null) throw new IllegalStateException(refused);
        return openBlas ? "openblas-" + Blas.version() : "java-vector";
    }

    /** More about the path in use: for OpenBLAS its build configuration and the core it picked, and the thread count. */
    public static String backendDetail() {
        return backend() + (openBlas ? " (" + Blas.config() + (minRows > 1 ? "; fewer than " + minRows + " rows on the Java kernel" : "") + ")"
                : " (" + S.length() + " float lanes)") + ", " + Parallel.threads() + " threads";
    }

    /** Whether OpenBLAS loaded in this JVM (whichever path mesascope.gemm chose); for tests and benchmarks. */
    public static boolean openBlasAvailable() {
        return Blas.available();
    }

    /**
     * @param x    row-major [m, k]
     * @param w    weight, shape [n, k] (OUT_IN) or [k, n] (IN_OUT)
     * @param bias length n, or null
     * @param y    row-major [m, n], overwritten
     */
    public static void matmul(float[] x, int m, int k, WeightTensor w, Layout layout, float[] bias, float[] y, int n) {
        if (refused != null) throw new IllegalStateException(refused);
        if (openBlas && m >= minRows) matmulBlas(x, m, k, w, layout, bias, y, n);
        else matmulJava(x, m, k, w, layout, bias, y, n);
    }

    /** The pure-Java Vector API path, whatever mesascope.gemm says. */
    static void matmulJava(float[] x, int m, int k, WeightTensor w, Layout layout, float[] bias, float[] y, int n) {
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
                remainder(x, i, m, k, packed, off, y, n, col, cols);
            }
            if (bias != null) {
                for (int i = 0; i < m; i++) {
                    for (int j = n0; j < n0 + width; j++) y[i * n + j] += bias[j];
                }
            }
        });
    }

    /**
     * Rows i..m (fewer than 6) against one strip: as many independent FMA chains as possible (one row alone has only
     * two, and waits on the FMA latency); each output is still one chain over k in order, as in kernel6.
     */
    private static void remainder(float[] x, int i, int m, int k, float[] packed, int off, float[] y, int n, int col, int cols) {
        if (i + 3 <= m) {
            kernel3(x, i, k, packed, off, y, n, col, cols);
            i += 3;
        }
        if (i + 2 <= m) {
            kernel2(x, i, k, packed, off, y, n, col, cols);
            i += 2;
        }
        for (; i < m; i++) kernel1(x, i, k, packed, off, y, n, col, cols);
    }

    /**
     * The OpenBLAS path (OpenBLAS must have loaded). Called from the caller's thread, never from inside a
     * {@link Parallel} task: OpenBLAS runs its own {@link Parallel#threads()} threads while the Java pool is idle, and
     * the Java pool only works (converting panels, adding the bias) while OpenBLAS is not running.
     */
    static void matmulBlas(float[] x, int m, int k, WeightTensor w, Layout layout, float[] bias, float[] y, int n) {
        matmulBlas(x, m, k, w, layout, bias, y, n, CONVERTED_PANEL);
    }

    /** As above, F16/BF16 weights converted about panelFloats floats at a time (tests make it small). */
    static void matmulBlas(float[] x, int m, int k, WeightTensor w, Layout layout, float[] bias, float[] y, int n,
                           int panelFloats) {
        if (x.length < (long) m * k || y.length < (long) m * n) throw new IllegalArgumentException("x or y too short");
        if (m == 0 || n == 0) return;
        MemorySegment xs = MemorySegment.ofArray(x), ys = MemorySegment.ofArray(y);
        if (k == 0) {
            java.util.Arrays.fill(y, 0, m * n, 0f);
        } else if (w.dtype() == DType.F32) {
            // straight from the mapped file: [N, K] is B transposed, [K, N] is B as it is
            if (layout == Layout.OUT_IN) Blas.sgemm(Blas.TRANS, m, n, k, xs, k, w.segment(), k, 0f, ys, n);
            else Blas.sgemm(Blas.NO_TRANS, m, n, k, xs, k, w.segment(), n, 0f, ys, n);
        } else {
            // F16/BF16: convert a panel of output columns to float32, multiply, next panel; never the whole weight
            int nb = Math.max(16, Math.min(n, panelFloats / k / 16 * 16));
            float[] panel = buffer(CONVERTED, nb * k);
            MemorySegment ps = MemorySegment.ofArray(panel);
            for (int n0 = 0; n0 < n; n0 += nb) {
                int width = Math.min(nb, n - n0), c0 = n0;
                MemorySegment out = ys.asSlice((long) n0 * Float.BYTES);
                if (layout == Layout.OUT_IN) {
                    // rows n0.. of [N, K]: contiguous, converted as they lie ([width, K], B transposed)
                    Parallel.forEach((width + 15) / 16, t -> {
                        int r1 = Math.min(width, (t + 1) * 16);
                        for (int r = t * 16; r < r1; r++) toFloat(w, (long) (c0 + r) * k, panel, r * k, k);
                    });
                    Blas.sgemm(Blas.TRANS, m, width, k, xs, k, ps, k, 0f, out, n);
                } else {
                    // columns n0.. of [K, N]: one contiguous run per k ([K, width], B as it is)
                    Parallel.forEach((k + 15) / 16, t -> {
                        int r1 = Math.min(k, (t + 1) * 16);
                        for (int r = t * 16; r < r1; r++) toFloat(w, (long) r * n + c0, panel, r * width, width);
                    });
                    Blas.sgemm(Blas.NO_TRANS, m, width, k, xs, k, ps, width, 0f, out, n);
                }
            }
        }
        if (bias != null) {
            // after the product, as the Java path adds it: y = x·W + b
            Parallel.forEach((m + 15) / 16, t -> {
                int r1 = Math.min(m, (t + 1) * 16);
                for (int i = t * 16; i < r1; i++) {
                    int o = i * n;
                    for (int j = 0; j < n; j++) y[o + j] += bias[j];
                }
            });
        }
    }

    /** Elements [from, from+len) of w into dst[pos..] as float32; F16/BF16 through one bulk copy of the raw halves. */
    private static void toFloat(WeightTensor w, long from, float[] dst, int pos, int len) {
        if (w.dtype() == DType.F32) {
            MemorySegment.copy(w.segment(), WeightTensor.F32_LE, from * 4, dst, pos, len);
            return;
        }
        short[] h = HALVES.get();
        if (h.length < len) {
            h = new short[len];
            HALVES.set(h);
        }
        MemorySegment.copy(w.segment(), I16_LE, from * 2, h, 0, len);
        if (w.dtype() == DType.BF16) {
            for (int i = 0; i < len; i++) dst[pos + i] = Float.intBitsToFloat((h[i] & 0xffff) << 16);
        } else {
            for (int i = 0; i < len; i++) dst[pos + i] = Float.float16ToFloat(h[i]);
        }
    }

    private static final java.lang.foreign.ValueLayout.OfShort I16_LE =
            java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static float[] buffer(ThreadLocal<float[]> local, int size) {
        float[] b = local.get();
        if (b.length < size) {
            b = new float[size];
            local.set(b);
        }
        return b;
    }

    /**
     * [N, K] layout: rows n0.. of W, read NR at a time (contiguous; F16/BF16 converted by {@link #toFloat}), transposed
     * into k-major strips. The transpose gathers each vector of a strip row (one k, L consecutive rows of W) with one
     * indexed load: several times faster than moving floats one by one, and the packed panel is the same either way.
     */
    private static void packRows(WeightTensor w, int k, int n0, int width, float[] packed) {
        float[] rows = buffer(STAGING, NR * k);
        int[] index = new int[L];
        for (int j = 0; j < L; j++) index[j] = j * k;
        for (int s = 0; s * NR < width; s++) {
            int cols = Math.min(NR, width - s * NR), base = s * NR * k;
            toFloat(w, (long) (n0 + s * NR) * k, rows, 0, cols * k);
            if (cols == NR) {
                int second = L * k;
                for (int kk = 0; kk < k; kk++) {
                    int o = base + kk * NR;
                    FloatVector.fromArray(S, rows, kk, index, 0).intoArray(packed, o);
                    FloatVector.fromArray(S, rows, second + kk, index, 0).intoArray(packed, o + L);
                }
                continue;
            }
            for (int kk = 0; kk < k; kk++) {
                int o = base + kk * NR;
                for (int j = 0; j < cols; j++) packed[o + j] = rows[j * k + kk];
                for (int j = cols; j < NR; j++) packed[o + j] = 0f;
            }
        }
    }

    /** [K, N] layout: for each k, columns n0..n0+width of W are contiguous; split them into the strips. */
    private static void packColumns(WeightTensor w, int k, int n, int n0, int width, float[] packed) {
        if (w.dtype() == DType.F32 && width % NR == 0) {
            // the common case, straight from the mapped file with vector loads
            MemorySegment seg = w.segment();
            for (int kk = 0; kk < k; kk++) {
                long at = ((long) kk * n + n0) * 4;
                for (int s = 0; s < width / NR; s++) {
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
            toFloat(w, (long) kk * n + n0, row, 0, width);
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

    private static void kernel3(float[] x, int i, int k, float[] p, int off, float[] y, int n, int col, int cols) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        int x0 = i * k, x1 = x0 + k, x2 = x1 + k;
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
        }
        store(c00, c01, y, i * n + col, cols);
        store(c10, c11, y, (i + 1) * n + col, cols);
        store(c20, c21, y, (i + 2) * n + col, cols);
    }

    private static void kernel2(float[] x, int i, int k, float[] p, int off, float[] y, int n, int col, int cols) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        int x0 = i * k, x1 = x0 + k;
        for (int kk = 0; kk < k; kk++) {
            int b = off + kk * NR;
            FloatVector b0 = FloatVector.fromArray(S, p, b), b1 = FloatVector.fromArray(S, p, b + L);
            FloatVector a = FloatVector.broadcast(S, x[x0 + kk]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(S, x[x1 + kk]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
        }
        store(c00, c01, y, i * n + col, cols);
        store(c10, c11, y, (i + 1) * n + col, cols);
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
