package org.mesascope.gpu;

import org.mesascope.core.MesascopeException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The CUDA driver API (libcuda.so.1) through FFM: the functions Mesascope uses and nothing else. The versioned
 * symbols (_v2) are the ones cuda.h has mapped the plain names to since CUDA 4/11, and CUDA 12 and 13 drivers both
 * export them. We use the device's primary context rather than cuCtxCreate, whose signature changed in CUDA 13.
 * Handles (contexts, streams, events, modules, functions) are opaque pointers, device memory is a 64-bit address.
 */
public final class CudaDriver {
    private static final FunctionDescriptor I_I = FunctionDescriptor.of(JAVA_INT, JAVA_INT);
    private static final FunctionDescriptor I_P = FunctionDescriptor.of(JAVA_INT, ADDRESS);
    private static final FunctionDescriptor I_PI = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT);
    private static final FunctionDescriptor I_L = FunctionDescriptor.of(JAVA_INT, JAVA_LONG);
    private static final FunctionDescriptor LAUNCH = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT,
            JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS);

    private final NativeLibrary lib;

    private CudaDriver(NativeLibrary lib) {
        this.lib = lib;
    }

    /** Opens libcuda.so.1 and calls cuInit; throws {@link NativeLibrary.NativeUnavailable} with the cause. */
    public static CudaDriver open() {
        CudaDriver d = new CudaDriver(NativeLibrary.open("CUDA driver", List.of("libcuda.so.1", "libcuda.so")));
        int r = d.raw("cuInit", I_I, 0);
        if (r != 0) throw new NativeLibrary.NativeUnavailable("the CUDA driver did not start (cuInit: " + d.errorName(r) + ")");
        return d;
    }

    // ---- calls -----------------------------------------------------------------------------------------------

    private int raw(String fn, FunctionDescriptor fd, Object... args) {
        return lib.call(fn, fd, args);
    }

    private void check(String fn, FunctionDescriptor fd, Object... args) {
        int r = raw(fn, fd, args);
        if (r != 0) throw new MesascopeException("CUDA " + fn + " failed: " + errorName(r) + " (" + r + ")");
    }

    /** "CUDA_ERROR_OUT_OF_MEMORY" for 2, or the number when the driver has no name for it. */
    public String errorName(int code) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            int r = (int) lib.function("cuGetErrorName", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS)).invoke(code, out);
            if (r != 0) return "error " + code;
            return out.get(ADDRESS, 0).reinterpret(256).getString(0, StandardCharsets.US_ASCII);
        } catch (Throwable t) {
            return "error " + code;
        }
    }

    private int intOut(String fn, FunctionDescriptor fd, Object... rest) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT);
            Object[] args = prepend(out, rest);
            check(fn, fd, args);
            return out.get(JAVA_INT, 0);
        }
    }

    private MemorySegment pointerOut(String fn, FunctionDescriptor fd, Object... rest) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check(fn, fd, prepend(out, rest));
            return out.get(ADDRESS, 0);
        }
    }

    private long longOut(String fn, FunctionDescriptor fd, Object... rest) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_LONG);
            check(fn, fd, prepend(out, rest));
            return out.get(JAVA_LONG, 0);
        }
    }

    private static Object[] prepend(Object first, Object[] rest) {
        Object[] all = new Object[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    // ---- devices and contexts --------------------------------------------------------------------------------

    /** 13000 for CUDA 13.0: the newest CUDA version the installed driver supports. */
    public int driverVersion() {
        return intOut("cuDriverGetVersion", I_P);
    }

    public int deviceCount() {
        return intOut("cuDeviceGetCount", I_P);
    }

    /** CUdevice is an int ordinal handle. */
    public int device(int ordinal) {
        return intOut("cuDeviceGet", I_PI, ordinal);
    }

    public String deviceName(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment name = a.allocate(256);
            check("cuDeviceGetName", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), name, 256, device);
            return name.getString(0, StandardCharsets.US_ASCII);
        }
    }

    public long deviceMemory(int device) {
        return longOut("cuDeviceTotalMem_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), device);
    }

    /** Compute capability as major * 10 + minor (90 for Hopper). */
    public int computeCapability(int device) {
        FunctionDescriptor fd = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT);
        int major = intOut("cuDeviceGetAttribute", fd, 75, device); // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
        int minor = intOut("cuDeviceGetAttribute", fd, 76, device); // ..._MINOR
        return major * 10 + minor;
    }

    /** The device's primary context, retained (the one the CUDA runtime and so cuBLAS use too). */
    public MemorySegment retainPrimaryContext(int device) {
        return pointerOut("cuDevicePrimaryCtxRetain", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), device);
    }

    public void releasePrimaryContext(int device) {
        check("cuDevicePrimaryCtxRelease_v2", I_I, device);
    }

    /** Makes {@code ctx} current on the calling thread (every thread that calls CUDA needs this once). */
    public void setCurrent(MemorySegment ctx) {
        check("cuCtxSetCurrent", I_P, ctx);
    }

    public void synchronizeContext() {
        check("cuCtxSynchronize", FunctionDescriptor.of(JAVA_INT));
    }

    // ---- memory ----------------------------------------------------------------------------------------------

    /** Device memory of {@code bytes} bytes; its address. */
    public long malloc(long bytes) {
        return longOut("cuMemAlloc_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), Math.max(bytes, 4));
    }

    public void free(long devicePtr) {
        check("cuMemFree_v2", I_L, devicePtr);
    }

    /** Page-locked host memory (so device-to-host copies can run asynchronously, overlapped with kernels). */
    public MemorySegment mallocHost(long bytes) {
        MemorySegment p = pointerOut("cuMemHostAlloc", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), bytes, 0);
        return p.reinterpret(bytes);
    }

    public void freeHost(MemorySegment host) {
        check("cuMemFreeHost", I_P, host);
    }

    public void copyToDevice(long dst, MemorySegment src, long bytes) {
        check("cuMemcpyHtoD_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG), dst, src, bytes);
    }

    public void copyToHost(MemorySegment dst, long src, long bytes) {
        check("cuMemcpyDtoH_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG), dst, src, bytes);
    }

    public void copyToDeviceAsync(long dst, MemorySegment src, long bytes, MemorySegment stream) {
        check("cuMemcpyHtoDAsync_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS), dst, src, bytes, stream);
    }

    public void copyToHostAsync(MemorySegment dst, long src, long bytes, MemorySegment stream) {
        check("cuMemcpyDtoHAsync_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS), dst, src, bytes, stream);
    }

    public void copyDeviceAsync(long dst, long src, long bytes, MemorySegment stream) {
        check("cuMemcpyDtoDAsync_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS), dst, src, bytes, stream);
    }

    // ---- streams and events ----------------------------------------------------------------------------------

    /** A stream that does not synchronize with the legacy default stream (CU_STREAM_NON_BLOCKING). */
    public MemorySegment createStream() {
        return pointerOut("cuStreamCreate", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), 1);
    }

    public void destroyStream(MemorySegment stream) {
        check("cuStreamDestroy_v2", I_P, stream);
    }

    public void synchronize(MemorySegment stream) {
        check("cuStreamSynchronize", I_P, stream);
    }

    /** Work queued on {@code stream} after this waits until {@code event} has completed. */
    public void waitEvent(MemorySegment stream, MemorySegment event) {
        check("cuStreamWaitEvent", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT), stream, event, 0);
    }

    /** An event; {@code timing} false makes it cheaper (CU_EVENT_DISABLE_TIMING) for pure ordering. */
    public MemorySegment createEvent(boolean timing) {
        return pointerOut("cuEventCreate", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), timing ? 0 : 2);
    }

    public void destroyEvent(MemorySegment event) {
        check("cuEventDestroy_v2", I_P, event);
    }

    public void record(MemorySegment event, MemorySegment stream) {
        check("cuEventRecord", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), event, stream);
    }

    public void synchronizeEvent(MemorySegment event) {
        check("cuEventSynchronize", I_P, event);
    }

    /** True when the event's work is done, false while it is pending (CUDA_ERROR_NOT_READY). */
    public boolean eventDone(MemorySegment event) {
        int r = raw("cuEventQuery", I_P, event);
        if (r == 600) return false; // CUDA_ERROR_NOT_READY
        if (r != 0) throw new MesascopeException("CUDA cuEventQuery failed: " + errorName(r));
        return true;
    }

    public float elapsedMillis(MemorySegment start, MemorySegment end) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_FLOAT);
            check("cuEventElapsedTime", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS), out, start, end);
            return out.get(JAVA_FLOAT, 0);
        }
    }

    // ---- modules and launches --------------------------------------------------------------------------------

    /** Loads PTX text (JIT-compiled by the driver for this GPU). */
    public MemorySegment loadModule(String ptx) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment image = a.allocateFrom(ptx, StandardCharsets.US_ASCII);
            return pointerOut("cuModuleLoadData", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), image);
        }
    }

    public MemorySegment function(MemorySegment module, String name) {
        try (Arena a = Arena.ofConfined()) {
            return pointerOut("cuModuleGetFunction", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS),
                    module, a.allocateFrom(name, StandardCharsets.US_ASCII));
        }
    }

    /**
     * Launches {@code function} on {@code stream}. Each argument is an Integer, Long, Float (by value) or a device
     * pointer given as Long; cuLaunchKernel takes an array of pointers to the argument values.
     */
    public void launch(MemorySegment function, int gx, int gy, int gz, int bx, int by, int bz, int sharedBytes,
                       MemorySegment stream, Object... args) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment params = a.allocate(MemoryLayout.sequenceLayout(Math.max(1, args.length), ADDRESS));
            for (int i = 0; i < args.length; i++) {
                MemorySegment value = switch (args[i]) {
                    case Integer v -> a.allocateFrom(JAVA_INT, v);
                    case Long v -> a.allocateFrom(JAVA_LONG, v);
                    case Float v -> a.allocateFrom(JAVA_FLOAT, v);
                    default -> throw new IllegalArgumentException("kernel argument " + i + ": " + args[i].getClass());
                };
                params.setAtIndex(ADDRESS, i, value);
            }
            check("cuLaunchKernel", LAUNCH, function, gx, gy, gz, bx, by, bz, sharedBytes, stream, params, MemorySegment.NULL);
        }
    }

}
