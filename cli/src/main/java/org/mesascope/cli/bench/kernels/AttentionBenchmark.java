package org.mesascope.cli.bench.kernels;

import org.mesascope.core.cpu.Attention;
import org.mesascope.core.hooks.HookPoint;
import org.mesascope.core.hooks.Hooks;
import org.mesascope.core.tensor.Batch;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * One layer's causal attention of the CPU engine (scores, softmax, weighted sum of values; the pattern not kept), for
 * one sequence of T tokens: GPT-2 small's 12 heads of 64, or the Llama-350M benchmark model's 16 query heads sharing 4
 * key/value heads. GFLOP/s = 4·heads·64·T(T+1)/2 / time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class AttentionBenchmark {
    @Param({"128", "1024"})
    public int tokens;

    /** heads/kvHeads. */
    @Param({"12/12", "16/4"})
    public String heads;

    private float[] q, k, v;
    private Batch batch;
    private int h, kvh;

    @Setup
    public void setUp() {
        h = Integer.parseInt(heads.split("/")[0]);
        kvh = Integer.parseInt(heads.split("/")[1]);
        Random r = new Random(2);
        q = gaussian(r, tokens * h * 64);
        k = gaussian(r, tokens * kvh * 64);
        v = gaussian(r, tokens * kvh * 64);
        batch = Batch.of(new int[tokens]);
    }

    private static float[] gaussian(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }

    @Benchmark
    public float[] attend() {
        return Attention.attend(batch, q, k, v, h, kvh, 64, null, 0, 0.125, 0, Hooks.NONE, HookPoint.pattern(0));
    }
}
