package org.mesascope.cli.bench.kernels;

import org.mesascope.core.cpu.Gemm;
import org.mesascope.core.io.DType;
import org.mesascope.core.io.WeightTensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The CPU engine's GEMM, y[M, N] = x[M, K] · W, on each path (the Java Vector API kernel, OpenBLAS), for shapes of
 * GPT-2 small and the Llama-350M benchmark model: W as safetensors holds it, F32 in native memory (as a mapped file
 * is), [K, N] (GPT-2's Conv1D) or [N, K] (nn.Linear). GFLOP/s = 2·M·K·N / time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class GemmBenchmark {
    /** java or openblas. */
    @Param({"java", "openblas"})
    public String path;

    /** M x K x N, then the weight layout. */
    @Param({"1x768x3072/in_out", "128x768x3072/in_out", "1024x768x3072/in_out", "128x768x50257/out_in", "1024x1024x3072/out_in"})
    public String shape;

    private float[] x, y;
    private WeightTensor w;
    private Gemm.Layout layout;
    private int m, k, n;

    @Setup
    public void setUp() {
        Gemm.use(path);
        Gemm.backend(); // fails here, with the reason, where OpenBLAS did not load
        String[] dims = shape.split("/")[0].split("x");
        m = Integer.parseInt(dims[0]);
        k = Integer.parseInt(dims[1]);
        n = Integer.parseInt(dims[2]);
        layout = shape.endsWith("out_in") ? Gemm.Layout.OUT_IN : Gemm.Layout.IN_OUT;
        Random r = new Random(1);
        MemorySegment seg = Arena.ofAuto().allocate((long) k * n * Float.BYTES, 64);
        for (long i = 0; i < (long) k * n; i++) seg.setAtIndex(WeightTensor.F32_LE, i, (float) r.nextGaussian());
        w = new WeightTensor("w", DType.F32, layout == Gemm.Layout.OUT_IN ? new int[]{n, k} : new int[]{k, n}, seg);
        x = new float[m * k];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        y = new float[m * n];
    }

    @Benchmark
    public float[] matmul() {
        Gemm.matmul(x, m, k, w, layout, null, y, n);
        return y;
    }
}
