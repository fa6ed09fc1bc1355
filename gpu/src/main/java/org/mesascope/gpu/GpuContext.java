package org.mesascope.gpu;

import org.mesascope.core.MesascopeException;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * One GPU as Mesascope uses it: the driver, device 0's primary context, a compute stream and a copy stream, cuBLAS
 * bound to the compute stream, and the kernels of kernels.ptx. Opened once per JVM ({@link #get()}).
 */
public final class GpuContext {
    /** The oldest driver we accept: CUDA 12.0 (the PTX is ISA 8.0, which 12.0 reads). */
    static final int MIN_DRIVER = 12000;
    static final String PTX_RESOURCE = "kernels.ptx";

    private static GpuContext instance;
    private static RuntimeException failure;

    public final CudaDriver cuda;
    public final int device;
    public final String deviceName;
    public final int driverVersion;
    public final int computeCapability;
    final MemorySegment context;
    final MemorySegment compute;
    final MemorySegment copy;
    final DeviceBlas blas;
    private final Map<String, MemorySegment> kernels = new HashMap<>();
    private final MemorySegment module;

    private GpuContext() {
        cuda = CudaDriver.open();
        driverVersion = cuda.driverVersion();
        if (driverVersion < MIN_DRIVER) {
            throw new NativeLibrary.NativeUnavailable("the CUDA driver supports CUDA " + version(driverVersion)
                    + ", Mesascope needs " + version(MIN_DRIVER) + " or newer");
        }
        if (cuda.deviceCount() == 0) throw new NativeLibrary.NativeUnavailable("the CUDA driver sees no GPU");
        device = cuda.device(0);
        deviceName = cuda.deviceName(device);
        computeCapability = cuda.computeCapability(device);
        context = cuda.retainPrimaryContext(device);
        cuda.setCurrent(context);
        compute = cuda.createStream();
        copy = cuda.createStream();
        module = cuda.loadModule(ptx());
        blas = CublasFfm.open();
        blas.setStream(compute);
    }

    /** The process's GPU context, opened on first use; throws the same one-line cause every time when there is none. */
    public static synchronized GpuContext get() {
        if (instance != null) return instance;
        if (failure != null) throw failure;
        try {
            instance = new GpuContext();
            return instance;
        } catch (NativeLibrary.NativeUnavailable | MesascopeException e) {
            failure = e;
            throw e;
        }
    }

    static String version(int v) {
        return v / 1000 + "." + v % 1000 / 10;
    }

    /** "NVIDIA H100 80GB HBM3 (sm_90), CUDA 13.0 driver, cuBLAS 13.0.0 through FFM (libcublas.so.13)" */
    public String describe() {
        return deviceName + " (sm_" + computeCapability + "), CUDA " + version(driverVersion) + " driver, " + blas.describe();
    }

    /** Every thread that calls CUDA must have the context current. */
    public void makeCurrent() {
        cuda.setCurrent(context);
    }

    static String ptx() {
        try (InputStream in = GpuContext.class.getResourceAsStream(PTX_RESOURCE)) {
            if (in == null) throw new MesascopeException("kernels.ptx is missing from the gpu jar");
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new MesascopeException("cannot read kernels.ptx: " + e.getMessage());
        }
    }

    synchronized MemorySegment kernel(String name) {
        return kernels.computeIfAbsent(name, n -> cuda.function(module, n));
    }

    /** Launches a 1-D grid-stride kernel over n elements on the compute stream. */
    void launch1d(String name, long n, Object... args) {
        int threads = 256;
        int blocks = (int) Math.max(1, Math.min((n + threads - 1) / threads, 65535L * 8));
        cuda.launch(kernel(name), blocks, 1, 1, threads, 1, 1, 0, compute, args);
    }

    /** One block per row. */
    void launchRows(String name, int rows, int threads, int sharedBytes, Object... args) {
        cuda.launch(kernel(name), rows, 1, 1, threads, 1, 1, sharedBytes, compute, args);
    }

    void launch(String name, int gx, int gy, int gz, int bx, int by, Object... args) {
        cuda.launch(kernel(name), gx, gy, gz, bx, by, 1, 0, compute, args);
    }

    // ---- memory helpers --------------------------------------------------------------------------------------

    long alloc(long bytes) {
        return cuda.malloc(bytes);
    }

    // the copies below are synchronous on the legacy stream, which the non-blocking compute stream does not wait
    // for: finish queued kernels first so that none still reads what is overwritten
    void upload(long dst, float[] src) {
        upload(dst, MemorySegment.ofArray(src));
    }

    void upload(long dst, int[] src) {
        upload(dst, MemorySegment.ofArray(src));
    }

    /** Waits for the compute stream, then copies n floats to a new array. */
    float[] download(long src, int n) {
        float[] out = new float[n];
        download(src, MemorySegment.ofArray(out));
        return out;
    }

    int[] downloadInts(long src, int n) {
        int[] out = new int[n];
        download(src, MemorySegment.ofArray(out));
        return out;
    }

    /** Copies a Java array (as a heap segment) to the device through native memory, as the driver needs. */
    private void upload(long dst, MemorySegment heap) {
        cuda.synchronize(compute);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(heap.byteSize());
            s.copyFrom(heap);
            cuda.copyToDevice(dst, s, heap.byteSize());
        }
    }

    private void download(long src, MemorySegment heap) {
        cuda.synchronize(compute);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(heap.byteSize());
            cuda.copyToHost(s, src, heap.byteSize());
            heap.copyFrom(s);
        }
    }
}
