package org.mesascope.core.reference;

import java.util.Arrays;

/**
 * A float64 tensor of the reference: row-major flat data plus its shape.
 *
 * <p>Kept deliberately tiny so that tests can compare it with the engine's flat float arrays
 * ({@link #relativeError(float[])}) without any dependency on the engine's tensor classes.
 */
public record RefTensor(double[] data, int[] shape) {

    public RefTensor {
        long n = 1;
        for (int s : shape) {
            if (s < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            n *= s;
        }
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n
                    + " values, got " + data.length);
        }
        shape = shape.clone();
    }

    public int numel() {
        return data.length;
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int i) {
        return shape[i];
    }

    /** Row {@code i} of the leading dimension (for [T, d]: the vector at position i), as a copy. */
    public double[] row(int i) {
        int rowLen = data.length / shape[0];
        return Arrays.copyOfRange(data, i * rowLen, (i + 1) * rowLen);
    }

    public boolean sameShape(int... other) {
        return Arrays.equals(shape, other);
    }

    /**
     * ‖actual − this‖ / ‖this‖ (Frobenius). Any NaN or infinity in {@code actual} gives +∞, so that
     * "NaN never passes" holds for every caller that checks {@code relativeError(..) <= tol}.
     */
    public double relativeError(float[] actual) {
        double[] a = new double[actual.length];
        for (int i = 0; i < a.length; i++) a[i] = actual[i];
        return relativeError(a);
    }

    /** As {@link #relativeError(float[])}, for double arrays. */
    public double relativeError(double[] actual) {
        if (actual.length != data.length) {
            throw new IllegalArgumentException("length " + actual.length + " vs reference "
                    + data.length + " (shape " + Arrays.toString(shape) + ")");
        }
        double diff = 0, ref = 0;
        for (int i = 0; i < data.length; i++) {
            if (!Double.isFinite(actual[i])) return Double.POSITIVE_INFINITY;
            double d = actual[i] - data[i];
            diff += d * d;
            ref += data[i] * data[i];
        }
        if (ref == 0) return diff == 0 ? 0 : Double.POSITIVE_INFINITY;
        return Math.sqrt(diff / ref);
    }

    /** max |actual − this|, with NaN/∞ in {@code actual} giving +∞. */
    public double maxAbsDiff(double[] actual) {
        if (actual.length != data.length) throw new IllegalArgumentException("length mismatch");
        double m = 0;
        for (int i = 0; i < data.length; i++) {
            if (!Double.isFinite(actual[i])) return Double.POSITIVE_INFINITY;
            m = Math.max(m, Math.abs(actual[i] - data[i]));
        }
        return m;
    }

    public float[] toFloats() {
        float[] f = new float[data.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) data[i];
        return f;
    }

    @Override
    public String toString() {
        return "RefTensor" + Arrays.toString(shape);
    }
}
