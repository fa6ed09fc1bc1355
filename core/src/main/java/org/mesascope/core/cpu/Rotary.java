package org.mesascope.core.cpu;


/**
 * Rotary position embedding on the first {@code rotaryDim} dimensions of each head, in one of two layouts: "rotate
 * half" (GPT-NeoX, Hugging Face Llama), where dimension i pairs with i + rotaryDim/2, or interleaved (GPT-J's
 * "rotate_every_two"), where dimension 2i pairs with 2i + 1. Pair i turns by angle pos · invFreq[i]. Angles are
 * computed in double, then rounded, so long positions lose no precision.
 */
public final class Rotary {
    private final int rotaryDim;
    private final boolean interleaved;
    private final double[] invFreq;

    /**
     * @param rotaryDim   leading dimensions of each head that turn (even)
     * @param theta       the base of the frequencies
     * @param scaling     rope_scaling, or null
     * @param interleaved GPT-J's layout rather than rotate-half
     */
    public Rotary(int rotaryDim, double theta, RopeScaling scaling, boolean interleaved) {
        this.rotaryDim = rotaryDim;
        this.interleaved = interleaved;
        this.invFreq = inverseFrequencies(rotaryDim, theta, scaling);
    }

    /** invFreq[i] = theta^(-2i/dim), rescaled as rope_scaling says. */
    static double[] inverseFrequencies(int dim, double theta, RopeScaling scaling) {
        double[] f = new double[dim / 2];
        for (int i = 0; i < f.length; i++) f[i] = 1.0 / Math.pow(theta, 2.0 * i / dim);
        if (scaling == null) return f;
        switch (scaling.type()) {
            case "linear" -> {
                for (int i = 0; i < f.length; i++) f[i] /= scaling.factor();
            }
            case "llama3" -> {
                // Llama 3.1: long wavelengths are slowed by factor, short ones kept, a linear blend in between
                double old = scaling.originalMaxPositions();
                double lowWavelen = old / scaling.lowFreqFactor();
                double highWavelen = old / scaling.highFreqFactor();
                for (int i = 0; i < f.length; i++) {
                    double wavelen = 2 * Math.PI / f[i];
                    if (wavelen > lowWavelen) {
                        f[i] /= scaling.factor();
                    } else if (wavelen >= highWavelen) {
                        double smooth = (old / wavelen - scaling.lowFreqFactor())
                                / (scaling.highFreqFactor() - scaling.lowFreqFactor());
                        f[i] = (1 - smooth) * f[i] / scaling.factor() + smooth * f[i];
                    }
                }
            }
            default -> throw new IllegalArgumentException("rope scaling " + scaling.type());
        }
        return f;
    }

    /**
     * Rotates every head of x in place. x is [rows, heads*headDim] with rows = b*width + t,
     * and row (b, t) sits at position starts[b] + t.
     */
    public void apply(float[] x, int batch, int width, int[] starts, int heads, int headDim) {
        if (rotaryDim == 0) return;
        int half = rotaryDim / 2;
        Parallel.forEach(batch * width, row -> {
            int pos = starts[row / width] + row % width;
            float[] cos = new float[half], sin = new float[half];
            for (int i = 0; i < half; i++) {
                double a = pos * invFreq[i];
                cos[i] = (float) Math.cos(a);
                sin[i] = (float) Math.sin(a);
            }
            for (int h = 0; h < heads; h++) {
                int o = row * heads * headDim + h * headDim;
                // the pair (a, b) of frequency i: (i, i + half), or (2i, 2i + 1) when interleaved
                int stride = interleaved ? 2 : 1, partner = interleaved ? 1 : half;
                for (int i = 0; i < half; i++) {
                    int a = o + i * stride, b = a + partner;
                    float x1 = x[a], x2 = x[b];
                    x[a] = x1 * cos[i] - x2 * sin[i];
                    x[b] = x2 * cos[i] + x1 * sin[i];
                }
            }
        });
    }
}
