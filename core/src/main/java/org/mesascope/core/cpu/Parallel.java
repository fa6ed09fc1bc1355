package org.mesascope.core.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * The CPU engine's worker pool. Its size is the {@code mesascope.threads} system property, else the number of
 * available processors. Work is split into independent tasks that write disjoint output ranges.
 */
public final class Parallel {
    private static final ForkJoinPool POOL = new ForkJoinPool(threads());

    private Parallel() {
    }

    public static int threads() {
        String p = System.getProperty("mesascope.threads");
        if (p != null && !p.isBlank()) return Math.max(1, Integer.parseInt(p.trim()));
        return Runtime.getRuntime().availableProcessors();
    }

    /** Runs task(i) for i in [0, n), spread over the pool; returns when all are done. */
    public static void forEach(int n, IntConsumer task) {
        if (n == 1 || POOL.getParallelism() == 1) {
            for (int i = 0; i < n; i++) task.accept(i);
            return;
        }
        if (Thread.currentThread() instanceof java.util.concurrent.ForkJoinWorkerThread w && w.getPool() == POOL) {
            // already on a worker (nested parallelism): stay on this thread rather than deadlock-prone nesting
            for (int i = 0; i < n; i++) task.accept(i);
            return;
        }
        POOL.submit(() -> IntStream.range(0, n).parallel().forEach(task)).join();
    }
}
