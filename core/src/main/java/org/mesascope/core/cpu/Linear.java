package org.mesascope.core.cpu;

import org.mesascope.core.io.WeightTensor;
import org.mesascope.core.io.Weights;

/** An affine map y = x·W + b over rows, its weight left in the mapped checkpoint. */
public record Linear(WeightTensor weight, Gemm.Layout layout, float[] bias, int in, int out) {

    /** torch.nn.Linear: weight [out, in], optional bias [out]. */
    public static Linear outIn(Weights w, String name, int in, int out, boolean bias) {
        return new Linear(w.get(name + ".weight", out, in), Gemm.Layout.OUT_IN,
                bias ? w.get(name + ".bias", out).toFloatArray() : null, in, out);
    }

    /** GPT-2's Conv1D: weight [in, out], bias [out]. */
    public static Linear inOut(Weights w, String name, int in, int out) {
        return new Linear(w.get(name + ".weight", in, out), Gemm.Layout.IN_OUT, w.get(name + ".bias", out).toFloatArray(), in, out);
    }

    /** y [rows, out] for x [rows, in]. */
    public float[] apply(float[] x, int rows) {
        float[] y = new float[rows * out];
        Gemm.matmul(x, rows, in, weight, layout, bias, y, out);
        return y;
    }
}
