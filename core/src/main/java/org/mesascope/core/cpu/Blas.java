package org.mesascope.core.cpu;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * OpenBLAS's {@code cblas_sgemm}, called through the FFM API. The library comes from the {@code org.bytedeco:openblas}
 * jar: JavaCPP's Loader extracts it (and libgfortran beside it) into its cache and loads it; after that every call
 * goes straight through a downcall handle, not through JavaCPP's JNI wrappers, so that
 * <ul>
 *   <li>the weights are passed as the mapped file's own memory (a MemorySegment of the mmapped safetensors), and</li>
 *   <li>the activations, Java float[]s, are passed in place: the handle is "critical" with heap access, so the JVM
 *       pins the arrays for the call instead of copying them (JNI's Get*ArrayElements copies on HotSpot).</li>
 * </ul>
 * A critical call holds off the garbage collector while it runs; a GEMM of this engine runs milliseconds.
 *
 * <p>Nothing is printed at load; {@link #available()} says whether it loaded and {@link #failure()} why not.
 */
final class Blas {
    static final int ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112;

    private static final MethodHandle SGEMM;
    private static final String VERSION;
    private static final String CONFIG;
    private static final Throwable FAILURE;

    static {
        MethodHandle sgemm = null;
        String version = null, config = null;
        Throwable failure = null;
        try {
            Linker linker = Linker.nativeLinker();
            // OpenBLAS's idle workers spin (sched_yield) for 2^28 cycles after each call by default, which on a
            // small machine takes a core from the Java pool's work between GEMMs (norms, attention, sinks). 2^4
            // cycles makes them sleep at once; waking them costs microseconds against GEMMs of milliseconds. The
            // library reads this when it loads; a value the user set is kept (overwrite = 0).
            MethodHandle setenv = linker.downcallHandle(linker.defaultLookup().find("setenv").orElseThrow(),
                    FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_INT, java.lang.foreign.ValueLayout.ADDRESS,
                            java.lang.foreign.ValueLayout.ADDRESS, java.lang.foreign.ValueLayout.JAVA_INT));
            try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                int unused = (int) setenv.invokeExact(arena.allocateFrom("OPENBLAS_THREAD_TIMEOUT"), arena.allocateFrom("4"), 0);
            }
            // extracts libopenblas.so.0 (+ libgfortran, libquadmath) from the natives jar and System.load()s them
            org.bytedeco.javacpp.Loader.load(org.bytedeco.openblas.global.openblas_nolapack.class);
            // the libraries were loaded by this class loader (JavaCPP's Loader shares it), so its lookup sees them
            SymbolLookup lookup = SymbolLookup.loaderLookup();
            var I = java.lang.foreign.ValueLayout.JAVA_INT;
            var F = java.lang.foreign.ValueLayout.JAVA_FLOAT;
            var A = java.lang.foreign.ValueLayout.ADDRESS;
            sgemm = linker.downcallHandle(find(lookup, "cblas_sgemm"),
                    FunctionDescriptor.ofVoid(I, I, I, I, I, I, F, A, I, A, I, F, A, I),
                    Linker.Option.critical(true));
            MethodHandle setThreads = linker.downcallHandle(find(lookup, "openblas_set_num_threads"), FunctionDescriptor.ofVoid(I));
            MethodHandle getConfig = linker.downcallHandle(find(lookup, "openblas_get_config"), FunctionDescriptor.of(A));
            MethodHandle coreName = linker.downcallHandle(find(lookup, "openblas_get_corename"), FunctionDescriptor.of(A));
            // as many threads as the Java pool: GEMMs run from the calling thread while the pool is idle
            setThreads.invokeExact(Parallel.threads());
            config = string((MemorySegment) getConfig.invokeExact()) + " core=" + string((MemorySegment) coreName.invokeExact());
            // "OpenBLAS 0.3.31 DYNAMIC_ARCH ..." -> "0.3.31"
            String[] words = config.split("\\s+");
            version = words.length > 1 ? words[1] : "?";
        } catch (Throwable t) {
            sgemm = null;
            failure = t;
        }
        SGEMM = sgemm;
        VERSION = version;
        CONFIG = config;
        FAILURE = failure;
    }

    private Blas() {
    }

    private static MemorySegment find(SymbolLookup lookup, String name) {
        Optional<MemorySegment> s = lookup.find(name);
        return s.orElseThrow(() -> new UnsatisfiedLinkError(name + " not found in the loaded OpenBLAS"));
    }

    private static String string(MemorySegment p) {
        return p.equals(MemorySegment.NULL) ? "" : p.reinterpret(4096).getString(0).trim();
    }

    static boolean available() {
        return SGEMM != null;
    }

    /** Why OpenBLAS did not load, or null. */
    static Throwable failure() {
        return FAILURE;
    }

    /** e.g. "0.3.31" */
    static String version() {
        return VERSION;
    }

    /** openblas_get_config() and the core it picked, e.g. "OpenBLAS 0.3.31 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=128 core=Zen". */
    static String config() {
        return CONFIG;
    }

    /**
     * C[m, n] (row stride ldc) = A[m, k] · op(B), row-major. A and C are heap or native segments; B is usually the
     * mapped weight.
     */
    static void sgemm(int transB, int m, int n, int k, MemorySegment a, int lda, MemorySegment b, int ldb,
                      float beta, MemorySegment c, int ldc) {
        try {
            SGEMM.invokeExact(ROW_MAJOR, NO_TRANS, transB, m, n, k, 1f, a, lda, b, ldb, beta, c, ldc);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
