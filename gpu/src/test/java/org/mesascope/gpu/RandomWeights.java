package org.mesascope.gpu;

import org.mesascope.core.MesascopeException;
import org.mesascope.core.io.DType;
import org.mesascope.core.io.WeightTensor;
import org.mesascope.core.io.Weights;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.IntStream;

/**
 * Random fp32 weights of any shape, made off-heap when first asked for (a 1B-parameter model's benchmark weights are
 * never written to disk). Norm weights ("norm"/"ln_" in the name, 1-D) are 1, biases 0, matrices uniform in
 * ±sqrt(3)·0.02 (std 0.02, as HF initialises). Values only need to be finite and of sensible scale: the benchmark
 * times them, nothing compares them.
 */
final class RandomWeights implements Weights {
    private final Arena arena = Arena.ofShared();
    private final java.util.Map<String, WeightTensor> made = new java.util.concurrent.ConcurrentHashMap<>();
    private final long seed;

    RandomWeights(long seed) {
        this.seed = seed;
    }

    @Override
    public Set<String> names() {
        return new TreeSet<>(made.keySet());
    }

    @Override
    public boolean has(String name) {
        // the GPU model probes prefixes ("transformer.", "model."); answer for the unprefixed HF names only
        return false;
    }

    @Override
    public WeightTensor get(String name, int... shape) {
        return made.computeIfAbsent(name, n -> make(n, shape));
    }

    private WeightTensor make(String name, int[] shape) {
        long count = 1;
        for (int s : shape) count *= s;
        long numel = count;
        if (numel <= 0) throw new MesascopeException("empty tensor " + name + Arrays.toString(shape));
        MemorySegment seg = arena.allocate(numel * 4, 64);
        boolean norm = shape.length == 1 && (name.contains("norm") || name.contains("ln_"));
        boolean bias = shape.length == 1 && !norm;
        float bound = (float) (Math.sqrt(3) * 0.02);
        long s = seed ^ name.hashCode() * 0x9E3779B97F4A7C15L;
        int parts = 64;
        long per = (numel + parts - 1) / parts;
        IntStream.range(0, parts).parallel().forEach(part -> {
            SplittableRandom r = new SplittableRandom(s + part);
            long end = Math.min(numel, (part + 1) * per);
            for (long i = part * per; i < end; i++) {
                float v = norm ? 1f : bias ? 0f : (float) ((r.nextDouble() * 2 - 1) * bound);
                seg.setAtIndex(WeightTensor.F32_LE, i, v);
            }
        });
        return new WeightTensor(name, DType.F32, shape.clone(), seg);
    }

    @Override
    public void close() {
        made.clear();
        arena.close();
    }
}
