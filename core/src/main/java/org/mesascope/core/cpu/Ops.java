package org.mesascope.core.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Element-wise and per-row operations of the CPU engine. Rows are length {@code d}, arrays row-major.
 * Reductions (means, variances) accumulate in double: the result is rounded to float32 once.
 */
public final class Ops {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> SI = IntVector.SPECIES_PREFERRED;

    private Ops() {
    }

    /** LayerNorm over each row: (x - mean) / sqrt(var + eps) * w + b (biased variance, as torch). */
    public static void layerNorm(float[] x, int rows, int d, float[] w, float[] b, double eps, float[] out) {
        Parallel.forEach(rows, r -> {
            int o = r * d;
            double mean = 0;
            for (int i = 0; i < d; i++) mean += x[o + i];
            mean /= d;
            double var = 0;
            for (int i = 0; i < d; i++) {
                double c = x[o + i] - mean;
                var += c * c;
            }
            double inv = 1.0 / Math.sqrt(var / d + eps);
            for (int i = 0; i < d; i++) out[o + i] = (float) ((x[o + i] - mean) * inv * w[i] + b[i]);
        });
    }

    /** RMSNorm over each row: x / sqrt(mean(x²) + eps) * w (Llama). */
    public static void rmsNorm(float[] x, int rows, int d, float[] w, double eps, float[] out) {
        Parallel.forEach(rows, r -> {
            int o = r * d;
            double ss = 0;
            for (int i = 0; i < d; i++) ss += (double) x[o + i] * x[o + i];
            double inv = 1.0 / Math.sqrt(ss / d + eps);
            for (int i = 0; i < d; i++) out[o + i] = (float) (x[o + i] * inv * w[i]);
        });
    }

    public static void activate(Activation act, float[] x, int n) {
        Parallel.forEach((n + 4095) / 4096, c -> {
            int start = c * 4096, end = Math.min(n, start + 4096);
            int i = start;
            if (act == Activation.GELU_NEW) {
                for (; i + S.length() <= end; i += S.length()) geluNew(FloatVector.fromArray(S, x, i)).intoArray(x, i);
                for (; i < end; i++) x[i] = geluNew(x[i]);
            }
            for (; i < end; i++) x[i] = (float) activation(act, x[i]);
        });
    }

    public static double activation(Activation act, double x) {
        return switch (act) {
            // GPT-2's gelu_new: the tanh approximation
            case GELU_NEW -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            case GELU -> 0.5 * x * (1 + erf(x / Math.sqrt(2)));
            case SILU -> x / (1 + Math.exp(-x));
            case RELU -> Math.max(0, x);
        };
    }

    // gelu_new in float32 with a rational tanh. Not VectorOperators.TANH: its intrinsic (SVML) and its Java fallback
    // round differently, so results would depend on whether the JIT has compiled the loop yet. Only +, ×, ÷ and FMA
    // here: exactly rounded in every mode, identical in the vector and the scalar form.
    private static final float GELU_C = (float) Math.sqrt(2 / Math.PI);
    // tanh(x) ≈ x·P(x²)/Q(x²) on |x| ≤ 9 (Eigen's float tanh coefficients); max error 3.2e-7 against Math.tanh
    private static final float A1 = 4.89352455891786e-03f, A3 = 6.37261928875436e-04f, A5 = 1.48572235717979e-05f,
            A7 = 5.12229709037114e-08f, A9 = -8.60467152213735e-11f, A11 = 2.00018790482477e-13f,
            A13 = -2.76076847742355e-16f;
    private static final float B0 = 4.89352518554385e-03f, B2 = 2.26843463243900e-03f, B4 = 1.18534705686654e-04f,
            B6 = 1.19825839466702e-06f;

    static float tanh(float x) {
        float c = Math.max(-9f, Math.min(9f, x)), x2 = c * c;
        float p = Math.fma(x2, Math.fma(x2, Math.fma(x2, Math.fma(x2, Math.fma(x2, Math.fma(x2, A13, A11), A9), A7), A5), A3), A1);
        float q = Math.fma(x2, Math.fma(x2, Math.fma(x2, B6, B4), B2), B0);
        return p * c / q;
    }

    static FloatVector tanh(FloatVector x) {
        FloatVector c = x.max(-9f).min(9f), x2 = c.mul(c);
        FloatVector p = fma(x2, fma(x2, fma(x2, fma(x2, fma(x2, x2.fma(A13, A11), A9), A7), A5), A3), A1);
        FloatVector q = fma(x2, fma(x2, x2.fma(B6, B4), B2), B0);
        return p.mul(c).div(q);
    }

    /** a·b + c, rounded once: the vector twin of {@code Math.fma(a, b, c)}. */
    private static FloatVector fma(FloatVector a, FloatVector b, float c) {
        return a.fma(b, FloatVector.broadcast(S, c));
    }

    static float geluNew(float x) {
        float inner = GELU_C * Math.fma(0.044715f * x, x * x, x);
        return 0.5f * x * (1f + tanh(inner));
    }

    static FloatVector geluNew(FloatVector x) {
        FloatVector inner = x.mul(0.044715f).fma(x.mul(x), x).mul(GELU_C);
        return x.mul(0.5f).mul(tanh(inner).add(1f));
    }

    /**
     * SwiGLU in place: gate[i] = silu(gate[i]) * up[i] (or another activation of gate). SiLU in float32,
     * x / (1 + e^−x) with {@link #exp}: the vector and the scalar form give the same bits.
     */
    public static void gatedActivate(Activation act, float[] gate, float[] up, int n) {
        Parallel.forEach((n + 4095) / 4096, c -> {
            int end = Math.min(n, (c + 1) * 4096);
            int i = c * 4096;
            if (act == Activation.SILU) {
                for (; i + S.length() <= end; i += S.length()) {
                    FloatVector g = FloatVector.fromArray(S, gate, i);
                    g.div(exp(g.neg()).add(1f)).mul(FloatVector.fromArray(S, up, i)).intoArray(gate, i);
                }
                for (; i < end; i++) gate[i] = gate[i] / (exp(-gate[i]) + 1f) * up[i];
            }
            for (; i < end; i++) gate[i] = (float) (activation(act, gate[i]) * up[i]);
        });
    }

    // e^x in float (Cephes expf's reduction and polynomial): x = n·ln2 + r with |r| ≤ ln2/2 and n rounded by adding
    // 1.5·2^23; e^r by a degree-7 polynomial (relative error a few 1e-8); 2^n put into the exponent bits. Arguments are
    // clamped to [−87.3, 88] (e^−87.3 ≈ 1.2e-38, the smallest normal float; e^88 ≈ 1.7e38, below the largest).
    private static final float LOG2E = 1.44269504088896341f, ROUNDER = 12582912f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER);
    private static final float P0 = 1.9875691500E-4f, P1 = 1.3981999507E-3f, P2 = 8.3334519073E-3f, P3 = 4.1665795894E-2f,
            P4 = 1.6666665459E-1f, P5 = 5.0000001201E-1f, LOWEST = -87.3f, HIGHEST = 88f;

    /** e^x within 3 ulp, the same bits as {@link #exp(FloatVector)} gives in each lane; NaN stays NaN. */
    static float exp(float x) {
        x = Math.min(Math.max(x, LOWEST), HIGHEST);
        float t = Math.fma(x, LOG2E, ROUNDER), n = t - ROUNDER;
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(P0, r, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        float y = Math.fma(p, r * r, r) + 1f;
        return y * Float.intBitsToFloat((Float.floatToRawIntBits(t) - ROUNDER_BITS + 127) << 23);
    }

    static FloatVector exp(FloatVector x) {
        x = x.max(LOWEST).min(HIGHEST);
        FloatVector t = x.fma(LOG2E, ROUNDER), n = t.sub(ROUNDER);
        FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(S, -LN2_LO), r);
        FloatVector p = FloatVector.broadcast(S, P0).fma(r, FloatVector.broadcast(S, P1));
        p = fma(p, r, P2);
        p = fma(p, r, P3);
        p = fma(p, r, P4);
        p = fma(p, r, P5);
        FloatVector y = p.fma(r.mul(r), r).add(1f);
        IntVector bits = ((IntVector) t.reinterpretShape(SI, 0)).sub(ROUNDER_BITS - 127).lanewise(VectorOperators.LSHL, 23);
        return y.mul((FloatVector) bits.reinterpretShape(S, 0));
    }

    /** out = a + b (element-wise). */
    public static float[] add(float[] a, float[] b) {
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) out[i] = a[i] + b[i];
        return out;
    }

    /**
     * The error function to double precision (Java has none): the Maclaurin series where it converges quickly,
     * the continued fraction of erfc (modified Lentz) in the tails.
     */
    public static double erf(double x) {
        double ax = Math.abs(x);
        if (ax < 3) {
            // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
            double term = ax, sum = ax, x2 = ax * ax;
            for (int n = 1; n < 200; n++) {
                term *= -x2 / n;
                double t = term / (2 * n + 1);
                sum += t;
                if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
            }
            double r = 2 / Math.sqrt(Math.PI) * sum;
            return x < 0 ? -r : r;
        }
        if (ax > 10) return Math.signum(x);
        // erfc(x) = exp(-x²)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
        double tiny = 1e-300;
        double f = ax, c = ax, dd = 0;
        for (int n = 1; n < 500; n++) {
            double an = n / 2.0;
            dd = ax + an * dd;
            dd = Math.abs(dd) < tiny ? tiny : dd;
            c = ax + an / c;
            c = Math.abs(c) < tiny ? tiny : c;
            dd = 1 / dd;
            double delta = c * dd;
            f *= delta;
            if (Math.abs(delta - 1) < 1e-16) break;
        }
        double erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
        return x < 0 ? erfc - 1 : 1 - erfc;
    }
}
