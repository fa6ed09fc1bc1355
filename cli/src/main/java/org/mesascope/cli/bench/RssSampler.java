package org.mesascope.cli.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The process's memory while timed passes run, sampled on a background thread every {@link #PERIOD_MS} ms from
 * /proc/self/status (Linux): RssAnon is resident memory not backed by a file, i.e. everything but the memory-mapped
 * weights (which count in RssFile): the Java heap, libtorch's tensors, thread stacks, the JIT's code. A peak between
 * two samples can be missed; a pass is hundreds of samples long, and the heap only grows by GC decisions, so the
 * peak of a run of passes is what one sees.
 *
 * <pre>{@code
 * try (RssSampler s = RssSampler.start()) { ...passes... ; Memory m = s.stop(); }
 * }</pre>
 */
public final class RssSampler implements AutoCloseable {
    static final int PERIOD_MS = 5;
    private static final Path STATUS = Path.of("/proc/self/status");

    /**
     * Memory of a run of passes, in KiB; -1 where /proc/self/status is not there (not Linux).
     *
     * @param anonBefore RssAnon when sampling started
     * @param anonPeak   the highest RssAnon seen while it ran
     * @param hwm        VmHWM at the end: the peak of the whole resident set (mapped weights included) since the
     *                   process started
     * @param file       RssFile at the end: file-backed resident memory, mostly the mapped weights read so far
     * @param heapPeak   the highest Java heap use seen (live and not yet collected objects)
     */
    public record Memory(long anonBefore, long anonPeak, long hwm, long file, long heapPeak, int samples) {
        public boolean known() {
            return anonPeak >= 0;
        }

        /** The larger of two runs' peaks, for a row measured in several parts (a null is no part yet). */
        static Memory max(Memory a, Memory b) {
            if (a == null) return b;
            return new Memory(a.anonBefore, Math.max(a.anonPeak, b.anonPeak), Math.max(a.hwm, b.hwm), Math.max(a.file, b.file),
                    Math.max(a.heapPeak, b.heapPeak), a.samples + b.samples);
        }
    }

    private final MemoryMXBean heap = ManagementFactory.getMemoryMXBean();
    private final long anonBefore;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long anonPeak;
    private volatile long heapPeak;
    private volatile int samples;

    private RssSampler() {
        anonBefore = read("RssAnon:");
        anonPeak = anonBefore;
        heapPeak = heap.getHeapMemoryUsage().getUsed() / 1024;
        thread = Thread.ofPlatform().daemon().name("rss-sampler").start(this::run);
    }

    public static RssSampler start() {
        return new RssSampler();
    }

    private void run() {
        while (running) {
            long anon = read("RssAnon:");
            long used = heap.getHeapMemoryUsage().getUsed() / 1024;
            // one writer: plain read-modify-write of the volatiles is enough
            if (anon > anonPeak) anonPeak = anon;
            if (used > heapPeak) heapPeak = used;
            samples++;
            try {
                Thread.sleep(PERIOD_MS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Stops sampling (one last sample first) and reports. */
    public Memory stop() {
        running = false;
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long anon = read("RssAnon:");
        return new Memory(anonBefore, Math.max(anonPeak, anon), read("VmHWM:"), read("RssFile:"),
                Math.max(heapPeak, heap.getHeapMemoryUsage().getUsed() / 1024), samples + 1);
    }

    @Override
    public void close() {
        running = false;
    }

    /** A "Name:   123 kB" field of /proc/self/status in KiB, or -1. */
    static long read(String field) {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(field)) {
                    String v = line.substring(field.length()).strip();
                    int space = v.indexOf(' ');
                    return Long.parseLong(space < 0 ? v : v.substring(0, space));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux, or a kernel without the field: reported as unknown
        }
        return -1;
    }
}
