package org.mesascope.gpu;

import java.lang.foreign.MemorySegment;

/**
 * The one BLAS call the GPU forward pass needs: C = A·B (+ C) on device memory, column-major as cuBLAS counts,
 * A and B fp32 or bf16, C fp32, accumulation fp32 (TF32 tensor cores when asked). One implementation binds cuBLAS
 * through FFM ({@link CublasFfm}); see gpu/README.md for why there is no JCublas one.
 */
public interface DeviceBlas extends AutoCloseable {
    enum ElementType {F32, BF16}

    /** One line saying which implementation and library: printed once at start-up. */
    String describe();

    /** Queues the products on {@code stream} from now on. */
    void setStream(MemorySegment stream);

    /**
     * C[m×n] = op(A)[m×k] · op(B)[k×n] (+ C when {@code accumulate}), column-major with leading dimensions
     * lda/ldb/ldc; {@code transA}/{@code transB} mean op(X) = Xᵀ. {@code tf32} allows TF32 tensor cores for fp32
     * inputs.
     */
    void gemm(boolean transA, boolean transB, int m, int n, int k, long a, ElementType aType, int lda, long b,
              ElementType bType, int ldb, long c, int ldc, boolean accumulate, boolean tf32);

    @Override
    void close();
}
