package org.mesascope.core.io;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A read-only view of one tensor inside a memory-mapped safetensors file. The bytes are never copied onto
 * the heap as a whole: kernels read them in place (F32) or convert small tiles on the fly (F16, BF16).
 */
public record WeightTensor(String name, DType dtype, int[] shape, MemorySegment segment) {
    public static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public long numel() {
        long n = 1;
        for (int s : shape) n *= s;
        return n;
    }

    public int dim(int i) {
        return shape[i];
    }

    /** Element i (flat, row-major) as float32. */
    public float get(long i) {
        return switch (dtype) {
            case F32 -> segment.getAtIndex(F32_LE, i);
            case F16 -> DType.f16ToFloat(segment.getAtIndex(I16_LE, i));
            case BF16 -> DType.bf16ToFloat(segment.getAtIndex(I16_LE, i));
        };
    }

    /** Copies elements [from, from+len) into dst[dstPos..] as float32. */
    public void read(long from, float[] dst, int dstPos, int len) {
        if (dtype == DType.F32) {
            MemorySegment.copy(segment, F32_LE, from * 4, dst, dstPos, len);
            return;
        }
        for (int i = 0; i < len; i++) dst[dstPos + i] = get(from + i);
    }

    /** The whole tensor as a new float32 array (for small tensors: norms, biases, embeddings rows are read with {@link #read}). */
    public float[] toFloatArray() {
        long n = numel();
        if (n > Integer.MAX_VALUE - 8) throw new IllegalStateException(name + " is too large for one array");
        float[] out = new float[(int) n];
        read(0, out, 0, (int) n);
        return out;
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape);
    }
}
