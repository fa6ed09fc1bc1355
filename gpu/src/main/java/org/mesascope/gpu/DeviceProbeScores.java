package org.mesascope.gpu;

import org.mesascope.core.hooks.HookRegistry;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Probe scoring on the device: for every hook matching a glob (e.g. {@code blocks.*.hook_resid_post}), the dot
 * products of each position's vector with k probe directions, one GEMM per hook on the compute stream. Only the
 * [positions, k] scores cross PCIe, after the pass ({@link #scores()}). Close it to free its device memory.
 */
public final class DeviceProbeScores implements DeviceSink, AutoCloseable {
    private final GpuContext g;
    private final Pattern hooks;
    private final int k, d;
    private final long directions;
    private final Map<String, long[]> byHook = new LinkedHashMap<>(); // hook -> {device scores, rows}

    /** {@code directions} is [k][d] (d = the hook's last dimension, usually d_model). */
    public DeviceProbeScores(GpuModel model, String glob, float[][] directions) {
        this.g = model.context();
        this.hooks = HookRegistry.globToRegex(glob);
        this.k = directions.length;
        this.d = directions[0].length;
        float[] flat = new float[k * d];
        for (int i = 0; i < k; i++) {
            if (directions[i].length != d) throw new IllegalArgumentException("probe directions differ in length");
            System.arraycopy(directions[i], 0, flat, i * d, d);
        }
        g.makeCurrent();
        this.directions = g.alloc((long) flat.length * 4);
        g.upload(this.directions, flat);
    }

    @Override
    public boolean wants(String hook) {
        return hooks.matcher(hook).matches();
    }

    @Override
    public void accept(String hook, long device, int[] shape) {
        if (shape[shape.length - 1] != d) {
            throw new IllegalArgumentException(hook + " has vectors of " + shape[shape.length - 1] + " values, the probes " + d);
        }
        int rows = DeviceInterventions.rows(shape);
        long[] slot = byHook.get(hook);
        if (slot == null || slot[1] != rows) {
            if (slot != null) g.cuda.free(slot[0]);
            slot = new long[]{g.alloc((long) rows * k * 4), rows};
            byHook.put(hook, slot);
        }
        // scores[rows, k] = X[rows, d] · directionsᵀ; column-major that is C(k × rows) = A(k × d) · X(d × rows), where
        // the row-major [k, d] directions read column-major are d × k, hence transA
        g.blas.gemm(true, false, k, rows, d, directions, DeviceBlas.ElementType.F32, d, device, DeviceBlas.ElementType.F32, d,
                slot[0], k, false, false);
    }

    /** Per hook, row-major [positions, k] scores of the last pass (waits for the compute stream). */
    public Map<String, float[]> scores() {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : byHook.entrySet()) {
            out.put(e.getKey(), g.download(e.getValue()[0], Math.toIntExact(e.getValue()[1] * k)));
        }
        return out;
    }

    @Override
    public void close() {
        g.cuda.synchronize(g.compute);
        for (long[] slot : byHook.values()) g.cuda.free(slot[0]);
        byHook.clear();
        g.cuda.free(directions);
    }
}
