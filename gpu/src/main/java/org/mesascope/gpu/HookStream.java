package org.mesascope.gpu;

import org.mesascope.core.hooks.HookPoint;
import org.mesascope.core.hooks.Hooks;
import org.mesascope.core.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Hands device activations to the CPU hooks of one forward pass. A hook without interventions is copied
 * device-to-host on the copy stream into a pinned buffer, after an event on the compute stream says its value is
 * ready, so the copy overlaps the next kernels; sinks get it later, on this thread, in the order the pass reached the
 * hooks. A hook with an intervention is synchronous: pending values are delivered first (order), the value is
 * copied to the host, the interventions run, and the result is copied back for the pass to continue with.
 * <p>
 * Before the pass overwrites a buffer that a copy may still be reading, it calls {@link #guard} with the buffer's
 * address: the compute stream then waits for those copies only. The model double-buffers hooked values by layer
 * parity, so a copy has a whole layer of compute to hide behind before its buffer is written again.
 */
final class HookStream {
    /** Copies in flight before the pass waits for the oldest: bounds pinned memory when sinks are slow. */
    private static final int MAX_PENDING = 16;

    private record Pending(HookPoint hook, long device, int[] shape, MemorySegment pinned, MemorySegment ready,
                           MemorySegment copied) {
    }

    private final GpuContext g;
    private final Hooks hooks;
    private final PinnedPool pool;
    private final DeviceSink deviceSink;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    /** Copies queued and not yet waited for by the compute stream (what {@link #guard} looks through). */
    private final List<Pending> unguarded = new ArrayList<>();
    private final List<Pending> delivered = new ArrayList<>();

    HookStream(GpuContext g, Hooks hooks, PinnedPool pool, DeviceSink deviceSink) {
        this.g = g;
        this.hooks = hooks;
        this.pool = pool;
        this.deviceSink = deviceSink;
    }

    /** The pass reached {@code hook}, whose value lies at {@code device} ([shape], fp32). */
    void at(HookPoint hook, long device, int... shape) {
        if (deviceSink != null && deviceSink.wants(hook.name())) deviceSink.accept(hook.name(), device, shape);
        if (!hooks.wants(hook)) return;
        long n = Tensor.numel(shape);
        if (hooks.intervenes(hook)) {
            finish();
            Tensor out = hooks.at(hook, new Tensor(g.download(device, Math.toIntExact(n)), shape));
            g.upload(device, out.data());
            return;
        }
        MemorySegment ready = g.cuda.createEvent(false), copied = g.cuda.createEvent(false);
        g.cuda.record(ready, g.compute);
        g.cuda.waitEvent(g.copy, ready);
        MemorySegment pinned = pool.take(n * 4);
        g.cuda.copyToHostAsync(pinned, device, n * 4, g.copy);
        g.cuda.record(copied, g.copy);
        Pending p = new Pending(hook, device, shape, pinned, ready, copied);
        pending.add(p);
        unguarded.add(p);
        while (!pending.isEmpty() && g.cuda.eventDone(pending.peekFirst().copied())) deliver(pending.pollFirst());
        while (pending.size() > MAX_PENDING) deliver(pending.pollFirst());
    }

    /** Before the pass writes {@code device}: the compute stream waits for the copies still reading that buffer. */
    void guard(long device) {
        for (int i = unguarded.size() - 1; i >= 0; i--) {
            Pending p = unguarded.get(i);
            if (p.device() != device) continue;
            if (!delivered.contains(p)) g.cuda.waitEvent(g.compute, p.copied());
            unguarded.remove(i);
        }
    }

    /** Delivers every pending value, in order; then the events of this pass are released. */
    void finish() {
        while (!pending.isEmpty()) deliver(pending.pollFirst());
        unguarded.clear();
        for (Pending p : delivered) {
            g.cuda.destroyEvent(p.ready());
            g.cuda.destroyEvent(p.copied());
        }
        delivered.clear();
    }

    private void deliver(Pending p) {
        g.cuda.synchronizeEvent(p.copied());
        int n = Math.toIntExact(Tensor.numel(p.shape()));
        float[] values = new float[n];
        MemorySegment.copy(p.pinned(), ValueLayout.JAVA_FLOAT, 0, values, 0, n);
        pool.give(p.pinned());
        delivered.add(p);
        hooks.at(p.hook(), new Tensor(values, p.shape()));
    }

    /** Page-locked host buffers by size, kept across passes (cuMemHostAlloc is slow). */
    static final class PinnedPool {
        private final GpuContext g;
        private final Map<Long, ArrayDeque<MemorySegment>> free = new HashMap<>();
        private final List<MemorySegment> all = new ArrayList<>();

        PinnedPool(GpuContext g) {
            this.g = g;
        }

        MemorySegment take(long bytes) {
            ArrayDeque<MemorySegment> q = free.get(bytes);
            if (q != null && !q.isEmpty()) return q.pollFirst();
            MemorySegment s = g.cuda.mallocHost(bytes);
            all.add(s);
            return s;
        }

        void give(MemorySegment s) {
            free.computeIfAbsent(s.byteSize(), k -> new ArrayDeque<>()).add(s);
        }

        void close() {
            for (MemorySegment s : all) g.cuda.freeHost(s);
            all.clear();
            free.clear();
        }
    }
}
