package org.mesascope.core.io;

/** Tensor element types Mesascope reads from safetensors. Everything is computed in float32. */
public enum DType {
    F32(4), F16(2), BF16(2);

    public final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** The safetensors header spelling ("F32", "F16", "BF16"), or null if we do not read that dtype. */
    public static DType fromSafetensors(String name) {
        return switch (name) {
            case "F32" -> F32;
            case "F16" -> F16;
            case "BF16" -> BF16;
            default -> null;
        };
    }

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    public static float f16ToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }
}
