package org.mesascope.gpu;

import org.mesascope.core.MesascopeException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * cuBLAS through FFM: libcublas.so.13 (CUDA 13, the lent GPU machines), else libcublas.so.12 (CUDA 12
 * workstations). Only the C API's stable _v2 entry points and cublasGemmEx are used; their signatures are the same
 * in 12 and 13. cuBLAS runs in the context current on the calling thread (the primary context).
 */
public final class CublasFfm implements DeviceBlas {
    static final List<String> LIBRARIES = List.of("libcublas.so.13", "libcublas.so.12", "libcublas.so");

    // cudaDataType and cublasComputeType_t values from library_types.h / cublas_api.h
    private static final int CUDA_R_32F = 0, CUDA_R_16BF = 14;
    private static final int CUBLAS_COMPUTE_32F = 68, CUBLAS_COMPUTE_32F_FAST_TF32 = 77;
    private static final int CUBLAS_GEMM_DEFAULT = -1;
    private static final FunctionDescriptor GEMM_EX = FunctionDescriptor.of(JAVA_INT,
            ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,     // handle, transa, transb, m, n, k
            ADDRESS, ADDRESS, JAVA_INT, JAVA_INT,                          // alpha, A, Atype, lda
            ADDRESS, JAVA_INT, JAVA_INT,                                   // B, Btype, ldb
            ADDRESS, ADDRESS, JAVA_INT, JAVA_INT,                          // beta, C, Ctype, ldc
            JAVA_INT, JAVA_INT);                                           // computeType, algo

    private final NativeLibrary lib;
    private final MemorySegment handle;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment one, zero;
    private final int version;

    private CublasFfm(NativeLibrary lib) {
        this.lib = lib;
        MemorySegment out = arena.allocate(ADDRESS);
        check("cublasCreate_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS), out);
        handle = out.get(ADDRESS, 0);
        MemorySegment v = arena.allocate(JAVA_INT);
        check("cublasGetVersion_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), handle, v);
        version = v.get(JAVA_INT, 0);
        one = arena.allocateFrom(JAVA_FLOAT, 1f);
        zero = arena.allocateFrom(JAVA_FLOAT, 0f);
    }

    /** Opens the newest libcublas present and creates a handle (needs a current context). */
    public static CublasFfm open() {
        return new CublasFfm(NativeLibrary.open("cuBLAS", LIBRARIES));
    }

    private void check(String fn, FunctionDescriptor fd, Object... args) {
        int r = lib.call(fn, fd, args);
        if (r != 0) throw new MesascopeException("cuBLAS " + fn + " failed: status " + r);
    }

    @Override
    public String describe() {
        return "cuBLAS " + version / 10000 + "." + version / 100 % 100 + "." + version % 100 + " through FFM (" + lib.soname() + ")";
    }

    @Override
    public void setStream(MemorySegment stream) {
        check("cublasSetStream_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), handle, stream);
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, long a, ElementType aType, int lda, long b,
                     ElementType bType, int ldb, long c, int ldc, boolean accumulate, boolean tf32) {
        int compute = tf32 && aType == ElementType.F32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
        check("cublasGemmEx", GEMM_EX, handle, transA ? 1 : 0, transB ? 1 : 0, m, n, k,
                one, MemorySegment.ofAddress(a), type(aType), lda, MemorySegment.ofAddress(b), type(bType), ldb,
                accumulate ? one : zero, MemorySegment.ofAddress(c), CUDA_R_32F, ldc, compute, CUBLAS_GEMM_DEFAULT);
    }

    private static int type(ElementType t) {
        return t == ElementType.F32 ? CUDA_R_32F : CUDA_R_16BF;
    }

    @Override
    public void close() {
        check("cublasDestroy_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS), handle);
        arena.close();
    }
}
