package org.mesascope.probes.linear;

import org.mesascope.core.MesascopeException;

/**
 * One layer's probe inputs: {@code rows} is [N][d], one row per example (e.g. {@code blocks.{l}.hook_resid_post} at
 * the chosen positions), in the same order as the labels.
 */
public record LayerActivations(int layer, double[][] rows) {

    /** From float32 rows (as hooks deliver them), widened to double. */
    public static LayerActivations of(int layer, float[][] rows) {
        double[][] x = new double[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            x[i] = new double[rows[i].length];
            for (int j = 0; j < x[i].length; j++) x[i][j] = rows[i][j];
        }
        return new LayerActivations(layer, x);
    }

    /** From a row-major [N * dim] float32 array, as a {@code Tensor}'s data. */
    public static LayerActivations of(int layer, float[] flat, int dim) {
        if (dim <= 0 || flat.length % dim != 0) {
            throw new MesascopeException("layer " + layer + ": " + flat.length + " values are not rows of width " + dim);
        }
        double[][] x = new double[flat.length / dim][dim];
        for (int i = 0; i < x.length; i++) for (int j = 0; j < dim; j++) x[i][j] = flat[i * dim + j];
        return new LayerActivations(layer, x);
    }
}
