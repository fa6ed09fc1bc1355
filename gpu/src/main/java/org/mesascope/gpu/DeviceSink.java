package org.mesascope.gpu;

/**
 * A sink that stays on the GPU: it is handed the device address of a hook's value (fp32, row-major [shape]) while
 * the pass runs and queues its own work on the compute stream (the logit lens keeps residuals, probe scoring takes
 * dot products); the address is only valid until the pass continues.
 */
public interface DeviceSink {
    boolean wants(String hook);

    void accept(String hook, long device, int[] shape);
}
