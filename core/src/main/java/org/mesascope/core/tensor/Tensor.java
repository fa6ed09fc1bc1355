package org.mesascope.core.tensor;

import java.util.Arrays;

/**
 * A dense row-major float32 tensor on the Java heap. Activations, hook values and logits are Tensors;
 * weights are not (they stay in the memory-mapped file, see {@link org.mesascope.core.io.WeightTensor}).
 */
public final class Tensor {
    private final float[] data;
    private final int[] shape;

    public Tensor(float[] data, int... shape) {
        long n = numel(shape);
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n + " values, got " + data.length);
        }
        this.data = data;
        this.shape = shape.clone();
    }

    public static Tensor zeros(int... shape) {
        long n = numel(shape);
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("tensor too large: " + Arrays.toString(shape));
        return new Tensor(new float[(int) n], shape);
    }

    public static long numel(int... shape) {
        long n = 1;
        for (int s : shape) {
            if (s < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            n *= s;
        }
        return n;
    }

    /** The backing array, row-major. Writes are visible to everyone holding this tensor. */
    public float[] data() {
        return data;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int i) {
        return shape[i < 0 ? shape.length + i : i];
    }

    public int size() {
        return data.length;
    }

    /** Same values, new shape (shares the array). */
    public Tensor reshape(int... newShape) {
        return new Tensor(data, newShape);
    }

    public Tensor copy() {
        return new Tensor(data.clone(), shape);
    }

    /** Slice along the first dimension: element i of a batch, as a tensor with the first dimension dropped (copy). */
    public Tensor select(int i) {
        int inner = data.length / shape[0];
        float[] out = Arrays.copyOfRange(data, i * inner, (i + 1) * inner);
        return new Tensor(out, Arrays.copyOfRange(shape, 1, shape.length));
    }

    public boolean sameShape(Tensor other) {
        return Arrays.equals(shape, other.shape);
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape);
    }
}
