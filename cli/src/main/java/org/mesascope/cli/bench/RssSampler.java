package org.mesascope.cli.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
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
     * @param livePeak   the highest heap use right after a collection seen (what the collector could not free: the
     *                   memory a pass really holds, whatever the collector's sizing heuristics do to RssAnon)
     */
    public record Memory(long anonBefore, long anonPeak, long hwm, long file, long heapPeak, long livePeak, int samples) {
        public boolean known() {
            return anonPeak >= 0;
        }

        /** The larger of two runs' peaks, for a row measured in several parts (a null is no part yet). */
        static Memory max(Memory a, Memory b) {
            if (a == null) return b;
            return new Memory(a.anonBefore, Math.max(a.anonPeak, b.anonPeak), Math.max(a.hwm, b.hwm), Math.max(a.file, b.file),
                    Math.max(a.heapPeak, b.heapPeak), Math.max(a.livePeak, b.livePeak), a.samples + b.samples);
        }
    }

    private final MemoryMXBean heap = ManagementFactory.getMemoryMXBean();
    private final long anonBefore;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long anonPeak;
    private volatile long heapPeak;
    private volatile long livePeak;
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
            long used = heap.getHeapMemoryUsage().getUsed() / 1024, live = liveAfterGc();
            // one writer: plain read-modify-write of the volatiles is enough
            if (anon > anonPeak) anonPeak = anon;
            if (used > heapPeak) heapPeak = used;
            if (live > livePeak) livePeak = live;
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
                Math.max(heapPeak, heap.getHeapMemoryUsage().getUsed() / 1024), Math.max(livePeak, liveAfterGc()), samples + 1);
    }

    @Override
    public void close() {
        running = false;
    }

    /** KiB in use in the heap's pools right after their last collection (0 before any). */
    private static long liveAfterGc() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            MemoryUsage u = pool.getType() == MemoryType.HEAP ? pool.getCollectionUsage() : null;
            if (u != null) sum += u.getUsed();
        }
        return sum / 1024;
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
