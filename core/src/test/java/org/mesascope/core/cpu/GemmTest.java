package org.mesascope.core.cpu;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.mesascope.core.io.DType;
import org.mesascope.core.io.WeightTensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Gemm.matmul against a float64 triple loop over the same float32 inputs (the weights as their dtype decodes), for
 * both GEMM paths, both weight layouts, F32/F16/BF16 weights, with and without bias, at sizes that exercise every
 * edge of the Java kernel's blocking (rows not a multiple of its 6-row block, so that its 3-, 2- and 1-row kernels
 * run: m = 1, 7, 11, 129; columns not a multiple of its strips and panels; k not a multiple of a vector).
 *
 * <p>Tolerance, per element: |y - ref| ≤ 2·k·2⁻²⁴·(Σₖ|x·w| + |b|), the textbook bound for a float32 sum of k+1
 * products with a rounding each (γ_{k+1}); it holds whatever order a kernel sums in, and a wrong index or a missed
 * term breaks it by orders of magnitude. On the whole output also ‖y − ref‖/‖ref‖ ≤ 1e-6 (the engine's contract is
 * 1e-5 for a whole model; one product with random data is typically ~1e-7).
 */
class GemmTest {
    enum Path {JAVA, OPENBLAS}

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        int[][] kn = {{37, 53}, {100, 70}, {300, 129}};
        for (Path path : Path.values()) {
            for (Gemm.Layout layout : Gemm.Layout.values()) {
                for (DType dtype : DType.values()) {
                    for (int m : new int[]{1, 7, 11, 129}) {
                        for (int[] s : kn) {
                            for (boolean bias : new boolean[]{false, true}) {
                                out.add(Arguments.of(path, layout, dtype, m, s[0], s[1], bias));
                            }
                        }
                    }
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2} m={3} k={4} n={5} bias={6}")
    @MethodSource("cases")
    void matmulEqualsFloat64TripleLoop(Path path, Gemm.Layout layout, DType dtype, int m, int k, int n, boolean withBias) {
        assumeLoaded(path);
        Random rnd = new Random(31L * m + 7L * k + n + (withBias ? 1 : 0) + 1000L * dtype.ordinal());
        WeightTensor w = randomWeight(rnd, dtype, layout == Gemm.Layout.OUT_IN ? new int[]{n, k} : new int[]{k, n});
        float[] x = new float[m * k];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        float[] bias = null;
        if (withBias) {
            bias = new float[n];
            for (int j = 0; j < n; j++) bias[j] = (float) rnd.nextGaussian();
        }
        float[] y = new float[m * n];
        java.util.Arrays.fill(y, Float.NaN); // overwritten, not accumulated into
        if (path == Path.JAVA) Gemm.matmulJava(x, m, k, w, layout, bias, y, n);
        // F16/BF16 weights reach OpenBLAS a converted panel at a time: with the bias, panels of 16 to 48 columns,
        // so that several panels and a narrower last one are used; without, the default (one panel at these sizes)
        else if (withBias) Gemm.matmulBlas(x, m, k, w, layout, bias, y, n, 2000);
        else Gemm.matmulBlas(x, m, k, w, layout, bias, y, n);

        double num = 0, den = 0;
        double unit = Math.scalb(1.0, -24);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double ref = 0, mag = 0;
                for (int kk = 0; kk < k; kk++) {
                    double wv = w.get(layout == Gemm.Layout.OUT_IN ? (long) j * k + kk : (long) kk * n + j);
                    ref += (double) x[i * k + kk] * wv;
                    mag += Math.abs((double) x[i * k + kk] * wv);
                }
                if (bias != null) {
                    ref += bias[j];
                    mag += Math.abs(bias[j]);
                }
                double got = y[i * n + j];
                double bound = 2.0 * (k + 1) * unit * mag;
                assertTrue(Math.abs(got - ref) <= bound,
                        "y[" + i + "," + j + "] = " + got + ", float64 says " + ref + " (bound " + bound + ")");
                num += (got - ref) * (got - ref);
                den += ref * ref;
            }
        }
        double rel = Math.sqrt(num / den);
        assertTrue(rel <= 1e-6, "relative error " + rel);
    }

    /**
     * The Java path computes a row the same way whichever rows share its call, bit for bit: the engine's batched,
     * patched and KV-cached passes rely on it to reproduce single runs exactly.
     */
    @Test
    void javaPathGivesEachRowTheSameBitsWhateverTheOtherRows() {
        for (Gemm.Layout layout : Gemm.Layout.values()) {
            for (DType dtype : DType.values()) {
                Random rnd = new Random(5 + layout.ordinal() + 10L * dtype.ordinal());
                int m = 29, k = 300, n = 150;
                WeightTensor w = randomWeight(rnd, dtype, layout == Gemm.Layout.OUT_IN ? new int[]{n, k} : new int[]{k, n});
                float[] x = new float[m * k];
                for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
                float[] bias = new float[n];
                for (int j = 0; j < n; j++) bias[j] = (float) rnd.nextGaussian();
                float[] all = new float[m * n];
                Gemm.matmulJava(x, m, k, w, layout, bias, all, n);
                for (int i = 0; i < m; i++) {
                    float[] one = new float[n];
                    Gemm.matmulJava(java.util.Arrays.copyOfRange(x, i * k, (i + 1) * k), 1, k, w, layout, bias, one, n);
                    assertArrayEquals(java.util.Arrays.copyOfRange(all, i * n, (i + 1) * n), one,
                            layout + " " + dtype + " row " + i);
                }
            }
        }
    }

    /**
     * The Java path's order, spelled out: each output is one FMA chain over k = 0..K-1 in order, from zero, then
     * plus the bias, in float32. Blocking over rows and columns, packing and the edge kernels must change no bit of
     * that.
     */
    @Test
    void javaPathIsOneFmaChainPerOutputBitForBit() {
        for (Gemm.Layout layout : Gemm.Layout.values()) {
            for (DType dtype : DType.values()) {
                for (int[] s : new int[][]{{1, 37, 53}, {13, 300, 70}, {20, 513, 129}}) {
                    int m = s[0], k = s[1], n = s[2];
                    Random rnd = new Random(m + 100L * layout.ordinal() + 1000L * dtype.ordinal());
                    WeightTensor w = randomWeight(rnd, dtype, layout == Gemm.Layout.OUT_IN ? new int[]{n, k} : new int[]{k, n});
                    float[] x = new float[m * k];
                    for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
                    float[] bias = new float[n];
                    for (int j = 0; j < n; j++) bias[j] = (float) rnd.nextGaussian();
                    float[] y = new float[m * n];
                    Gemm.matmulJava(x, m, k, w, layout, bias, y, n);
                    float[] ref = new float[m * n];
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            float acc = 0;
                            for (int kk = 0; kk < k; kk++) {
                                acc = Math.fma(x[i * k + kk], w.get(layout == Gemm.Layout.OUT_IN ? (long) j * k + kk : (long) kk * n + j), acc);
                            }
                            ref[i * n + j] = acc + bias[j];
                        }
                    }
                    assertArrayEquals(ref, y, layout + " " + dtype + " m=" + m + " k=" + k + " n=" + n);
                }
            }
        }
    }

    /** backend() names the path that matmul takes, as mesascope.gemm chose it. */
    @Test
    void backendNamesThePathInUse() {
        String mode = System.getProperty("mesascope.gemm", Gemm.DEFAULT_MODE);
        String b = Gemm.backend();
        if (mode.equals("java") || (mode.equals("auto") && !Gemm.openBlasAvailable())) assertEquals("java-vector", b);
        else assertTrue(b.matches("openblas-\\d+\\.\\d+\\.\\d+"), b);
        assertTrue(Gemm.backendDetail().startsWith(b), Gemm.backendDetail());
    }

    /** use() switches paths at run time; auto sends fewer than AUTO_MIN_ROWS rows to the Java kernel, more to OpenBLAS. */
    @Test
    void autoSendsSmallProductsToJavaAndLargeOnesToOpenBlas() {
        assumeLoaded(Path.OPENBLAS);
        String before = Gemm.mode();
        Random rnd = new Random(9);
        int k = 96, n = 80;
        WeightTensor w = randomWeight(rnd, DType.F32, new int[]{n, k});
        try {
            for (int m : new int[]{1, Gemm.AUTO_MIN_ROWS - 1, Gemm.AUTO_MIN_ROWS, 40}) {
                float[] x = new float[m * k];
                for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
                float[] java = new float[m * n], blas = new float[m * n], auto = new float[m * n];
                Gemm.matmulJava(x, m, k, w, Gemm.Layout.OUT_IN, null, java, n);
                Gemm.matmulBlas(x, m, k, w, Gemm.Layout.OUT_IN, null, blas, n);
                Gemm.use("auto");
                Gemm.matmul(x, m, k, w, Gemm.Layout.OUT_IN, null, auto, n);
                assertArrayEquals(m < Gemm.AUTO_MIN_ROWS ? java : blas, auto, "auto, m = " + m);
                Gemm.use("java");
                Gemm.matmul(x, m, k, w, Gemm.Layout.OUT_IN, null, auto, n);
                assertArrayEquals(java, auto, "java, m = " + m);
                Gemm.use("openblas");
                Gemm.matmul(x, m, k, w, Gemm.Layout.OUT_IN, null, auto, n);
                assertArrayEquals(blas, auto, "openblas, m = " + m);
            }
            Gemm.use("mkl");
            IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, Gemm::backend);
            assertEquals("mesascope.gemm=mkl: expected java, openblas or auto", e.getMessage());
        } finally {
            Gemm.use(before);
        }
    }

    private static void assumeLoaded(Path path) {
        if (path == Path.OPENBLAS) {
            Assumptions.assumeTrue(Blas.available(),
                    () -> "OpenBLAS did not load on this machine (" + Blas.failure() + "); only the Java path is checked");
        }
    }

    /** A weight in native memory laid out as safetensors stores it (little-endian), random normal values. */
    static WeightTensor randomWeight(Random rnd, DType dtype, int[] shape) {
        int count = shape[0] * shape[1];
        MemorySegment seg = Arena.ofAuto().allocate((long) count * dtype.bytes, 8);
        for (int i = 0; i < count; i++) {
            float v = (float) rnd.nextGaussian();
            switch (dtype) {
                case F32 -> seg.setAtIndex(WeightTensor.F32_LE, i, v);
                case F16 -> seg.setAtIndex(I16, i, Float.floatToFloat16(v));
                case BF16 -> seg.setAtIndex(I16, i, (short) (Float.floatToRawIntBits(v) >>> 16));
            }
        }
        return new WeightTensor("w", dtype, shape, seg);
    }

    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
}
