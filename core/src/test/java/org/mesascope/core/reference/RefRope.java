package org.mesascope.core.reference;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Rotary position embeddings as Hugging Face transformers computes them, in float64.
 *
 * <p>Facts taken from transformers' {@code modeling_rope_utils.py} and the rotary code shared by
 * {@code modeling_llama.py} / {@code modeling_gpt_neox.py}:
 * <ul>
 *   <li>default: {@code inv_freq[i] = 1 / theta^(2i/dim)}, i = 0..dim/2-1, where dim is the number of
 *       rotated dimensions (head_dim · partial_rotary_factor; NeoX: int(head_dim · rotary_pct));</li>
 *   <li>"linear": {@code inv_freq / factor} (equivalently positions / factor);</li>
 *   <li>"llama3" ({@code _compute_llama3_parameters}): wavelengths {@code 2π/inv_freq} shorter than
 *       original_max/high_freq_factor are kept, longer than original_max/low_freq_factor are divided
 *       by factor, and the band in between is interpolated with
 *       {@code smooth = (original_max/wavelen − low) / (high − low)},
 *       {@code (1 − smooth)·inv/factor + smooth·inv};</li>
 *   <li>the rotation uses the "rotate_half" (NeoX, non-interleaved) layout:
 *       {@code q·cos + rotate_half(q)·sin} with {@code cos = cat(freqs, freqs)} and
 *       {@code rotate_half(x) = cat(−x2, x1)}, i.e. dimension i is paired with i + dim/2.</li>
 * </ul>
 * HF builds inv_freq in float32; the reference keeps float64 throughout (the mathematical value).
 */
public final class RefRope {

    private RefRope() {}

    /** rope_scaling / rope_parameters as far as the reference supports it. */
    public record Scaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
                          double originalMaxPositions) {
        public static final Scaling NONE = new Scaling("default", 1, 0, 0, 0);

        public static Scaling linear(double factor) {
            return new Scaling("linear", factor, 0, 0, 0);
        }

        public static Scaling llama3(double factor, double low, double high, double originalMax) {
            return new Scaling("llama3", factor, low, high, originalMax);
        }

        /**
         * Parse HF's rope_scaling dict (or transformers-5 rope_parameters). The type is under
         * "rope_type", or under "type" in older configs. Null / JSON null / type "default" mean none.
         */
        public static Scaling parse(JsonNode node) {
            if (node == null || node.isNull() || node.isMissingNode()) return NONE;
            JsonNode t = node.hasNonNull("rope_type") ? node.get("rope_type") : node.get("type");
            String type = t == null || t.isNull() ? "default" : t.asText();
            return switch (type) {
                case "default" -> NONE;
                case "linear" -> linear(node.get("factor").asDouble());
                case "llama3" -> llama3(node.get("factor").asDouble(), node.get("low_freq_factor").asDouble(),
                        node.get("high_freq_factor").asDouble(),
                        node.get("original_max_position_embeddings").asDouble());
                default -> throw new UnsupportedOperationException(
                        "the reference does not implement rope type '" + type + "' (only default, linear, llama3)");
            };
        }
    }

    /** inv_freq for {@code dim} rotated dimensions (dim even), base {@code theta}, with scaling. */
    public static double[] inverseFrequencies(int dim, double theta, Scaling scaling) {
        if (dim % 2 != 0) throw new IllegalArgumentException("rotary dim must be even, got " + dim);
        double[] inv = new double[dim / 2];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = 1.0 / Math.pow(theta, (2.0 * i) / dim);
        }
        switch (scaling.type()) {
            case "default" -> { }
            case "linear" -> {
                for (int i = 0; i < inv.length; i++) inv[i] /= scaling.factor();
            }
            case "llama3" -> {
                double factor = scaling.factor();
                double low = scaling.lowFreqFactor();
                double high = scaling.highFreqFactor();
                double oldContext = scaling.originalMaxPositions();
                double lowFreqWavelen = oldContext / low;    // longer than this: fully scaled
                double highFreqWavelen = oldContext / high;  // shorter than this: untouched
                for (int i = 0; i < inv.length; i++) {
                    double wavelen = 2 * Math.PI / inv[i];
                    if (wavelen < highFreqWavelen) {
                        // high frequency: kept
                    } else if (wavelen > lowFreqWavelen) {
                        inv[i] = inv[i] / factor;
                    } else {
                        double smooth = (oldContext / wavelen - low) / (high - low);
                        inv[i] = (1 - smooth) * inv[i] / factor + smooth * inv[i];
                    }
                }
            }
            default -> throw new UnsupportedOperationException("rope type " + scaling.type());
        }
        return inv;
    }

    /**
     * Rotate {@code x[off .. off+rotaryDim)} in place for a token at {@code position} (a double so that
     * the linear-scaling identity can be tested at fractional positions). Dimensions at and after
     * {@code off+rotaryDim} are not touched (NeoX partial rotary passes them through).
     */
    public static void rotate(double[] x, int off, int rotaryDim, double position, double[] invFreq) {
        int half = rotaryDim / 2;
        for (int i = 0; i < half; i++) {
            double angle = position * invFreq[i];
            double cos = Math.cos(angle);
            double sin = Math.sin(angle);
            double x1 = x[off + i];
            double x2 = x[off + i + half];
            // q*cos + rotate_half(q)*sin, rotate_half(q) = (-x2, x1)
            x[off + i] = x1 * cos - x2 * sin;
            x[off + i + half] = x2 * cos + x1 * sin;
        }
    }

    /**
     * GPT-J's layout (modeling_gptj.py, rotate_every_two): {@code x·cos + rotate_every_two(x)·sin} where sin and cos
     * are repeat_interleave'd pairwise and {@code rotate_every_two(x) = stack(−x[1::2], x[0::2]).flatten()}, i.e.
     * dimension 2i pairs with 2i + 1 and both turn by {@code position · invFreq[i]}.
     */
    public static void rotateEveryTwo(double[] x, int off, int rotaryDim, double position, double[] invFreq) {
        for (int i = 0; i < rotaryDim / 2; i++) {
            double angle = position * invFreq[i];
            double cos = Math.cos(angle);
            double sin = Math.sin(angle);
            double even = x[off + 2 * i];
            double odd = x[off + 2 * i + 1];
            x[off + 2 * i] = even * cos - odd * sin;
            x[off + 2 * i + 1] = odd * cos + even * sin;
        }
    }
}
