package org.mesascope.gpu;

import org.mesascope.core.hooks.HookRegistry;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Interventions that run on the GPU, as {@link DeviceSink}s that change the hook's buffer in place on the compute
 * stream: the pass continues with the changed value, and CPU sinks of the same hook see it (device sinks run
 * first). Steering adds a scaled vector; patching writes another run's values, kept on the device by
 * {@link Recorder}. Row masks ([B*T] ints, 1 = change this position) choose positions; null means all.
 */
public final class DeviceInterventions {
    private DeviceInterventions() {
    }

    /** Several device sinks as one, each called in the order given. */
    public static DeviceSink all(DeviceSink... sinks) {
        List<DeviceSink> list = List.of(sinks);
        return new DeviceSink() {
            @Override
            public boolean wants(String hook) {
                for (DeviceSink s : list) if (s.wants(hook)) return true;
                return false;
            }

            @Override
            public void accept(String hook, long device, int[] shape) {
                for (DeviceSink s : list) if (s.wants(hook)) s.accept(hook, device, shape);
            }
        };
    }

    /** Rows of a hook value: the product of every dimension but the last. */
    static int rows(int[] shape) {
        int rows = 1;
        for (int i = 0; i < shape.length - 1; i++) rows *= shape[i];
        return rows;
    }

    /** Device memory of the mask, or 0 for "every row". */
    private static long uploadMask(GpuContext g, int[] mask) {
        if (mask == null) return 0;
        long p = g.alloc((long) mask.length * 4);
        g.upload(p, mask);
        return p;
    }

    /** x += scale * vector at the hooks matching {@code glob} (ActAdd-style steering), at the masked rows. */
    public static final class Steer implements DeviceSink, AutoCloseable {
        private final GpuContext g;
        private final Pattern hooks;
        private final long vector, mask;
        private final int d, maskRows;
        private final float scale;

        public Steer(GpuModel model, String glob, float[] vector, float scale, int[] rowMask) {
            this.g = model.context();
            g.makeCurrent();
            this.hooks = HookRegistry.globToRegex(glob);
            this.d = vector.length;
            this.scale = scale;
            this.vector = g.alloc((long) d * 4);
            g.upload(this.vector, vector);
            this.mask = uploadMask(g, rowMask);
            this.maskRows = rowMask == null ? -1 : rowMask.length;
        }

        @Override
        public boolean wants(String hook) {
            return hooks.matcher(hook).matches();
        }

        @Override
        public void accept(String hook, long device, int[] shape) {
            int rows = rows(shape);
            if (shape[shape.length - 1] != d) throw new IllegalArgumentException(hook + ": steering vector of " + d + " values");
            if (maskRows >= 0 && maskRows != rows) throw new IllegalArgumentException(hook + ": mask of " + maskRows + " rows, hook has " + rows);
            g.launch1d("steer_rows", (long) rows * d, device, vector, mask, rows, d, scale);
        }

        @Override
        public void close() {
            g.cuda.synchronize(g.compute);
            g.cuda.free(vector);
            if (mask != 0) g.cuda.free(mask);
        }
    }

    /** Keeps device copies of the hooks matching a glob during one pass (the source run of a patch). */
    public static final class Recorder implements DeviceSink, AutoCloseable {
        private final GpuContext g;
        private final Pattern hooks;
        final Map<String, long[]> kept = new LinkedHashMap<>(); // hook -> {device, bytes}

        public Recorder(GpuModel model, String glob) {
            this.g = model.context();
            this.hooks = HookRegistry.globToRegex(glob);
        }

        @Override
        public boolean wants(String hook) {
            return hooks.matcher(hook).matches();
        }

        @Override
        public void accept(String hook, long device, int[] shape) {
            long bytes = 4L * rows(shape) * shape[shape.length - 1];
            long[] slot = kept.get(hook);
            if (slot == null || slot[1] != bytes) {
                if (slot != null) g.cuda.free(slot[0]);
                slot = new long[]{g.alloc(bytes), bytes};
                kept.put(hook, slot);
            }
            g.cuda.copyDeviceAsync(slot[0], device, bytes, g.compute);
        }

        @Override
        public void close() {
            g.cuda.synchronize(g.compute);
            for (long[] slot : kept.values()) g.cuda.free(slot[0]);
            kept.clear();
        }
    }

    /** Writes a {@link Recorder}'s values of the same hook (same batch shape) over the masked rows: activation patching. */
    public static final class Patch implements DeviceSink, AutoCloseable {
        private final GpuContext g;
        private final Recorder source;
        private final Pattern hooks;
        private final long mask;
        private final List<Long> owned = new ArrayList<>();

        public Patch(GpuModel model, Recorder source, String glob, int[] rowMask) {
            this.g = model.context();
            g.makeCurrent();
            this.source = source;
            this.hooks = HookRegistry.globToRegex(glob);
            this.mask = uploadMask(g, rowMask);
            if (mask != 0) owned.add(mask);
        }

        @Override
        public boolean wants(String hook) {
            return hooks.matcher(hook).matches() && source.kept.containsKey(hook);
        }

        @Override
        public void accept(String hook, long device, int[] shape) {
            long[] slot = source.kept.get(hook);
            int rows = rows(shape), d = shape[shape.length - 1];
            if (slot[1] != 4L * rows * d) throw new IllegalArgumentException(hook + ": the recorded run had another shape");
            g.launch1d("patch_rows", (long) rows * d, device, slot[0], mask, rows, d);
        }

        @Override
        public void close() {
            g.cuda.synchronize(g.compute);
            for (long p : owned) g.cuda.free(p);
        }
    }
}
