package org.mesascope.core.backend;

/**
 * Arithmetic of a backend's matrix products (DESIGN.md's numerical contract). Everything else is computed in fp32.
 * FP32: full fp32 products (within 1e-4 of the CPU engine). TF32: tensor-core products with 10-bit mantissas, fp32
 * accumulation (1e-3). BF16: weights stored as bf16, activations rounded to bf16 at each product, fp32 accumulation
 * (2e-2, same top-1 on >= 99% of positions). The CPU engine always computes FP32.
 */
public enum Precision {
    FP32, TF32, BF16;

    public static Precision parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "fp32", "f32", "float32" -> FP32;
            case "tf32" -> TF32;
            case "bf16", "bfloat16" -> BF16;
            default -> throw new org.mesascope.core.MesascopeException("unknown precision \"" + s + "\" (fp32, tf32, bf16)");
        };
    }
}
