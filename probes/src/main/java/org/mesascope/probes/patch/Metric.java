package org.mesascope.probes.patch;

/**
 * What a patching experiment measures, from the logits at the prompt's last position.
 * <ul>
 *   <li>{@link #LOGIT_DIFF}: logit(answer) − logit(wrong answer), the metric of Wang et al. 2022 (IOI) that
 *       Heimersheim &amp; Nanda 2024 recommend: roughly linear in the residual stream, and blind to what both answers
 *       share.</li>
 *   <li>{@link #PROB}: softmax probability of the answer (no wrong answer needed). Exponential in the logits, so it
 *       saturates and over-weights the last step to the answer; Heimersheim &amp; Nanda advise it as a second look.</li>
 * </ul>
 */
public enum Metric {
    LOGIT_DIFF("logit-diff"), PROB("prob");

    private final String label;

    Metric(String label) {
        this.label = label;
    }

    /** The name on the command line and in reports: "logit-diff" or "prob". */
    public String label() {
        return label;
    }

    public boolean needsWrongAnswer() {
        return this == LOGIT_DIFF;
    }

    /**
     * The metric of one row of logits (float32 from the engine, combined in float64).
     * @param wrong ignored for {@link #PROB}
     */
    public double of(float[] logits, int offset, int vocab, int answer, int wrong) {
        return switch (this) {
            case LOGIT_DIFF -> (double) logits[offset + answer] - logits[offset + wrong];
            case PROB -> {
                double max = Double.NEGATIVE_INFINITY;
                for (int v = 0; v < vocab; v++) max = Math.max(max, logits[offset + v]);
                double sum = 0;
                for (int v = 0; v < vocab; v++) sum += Math.exp(logits[offset + v] - max);
                yield Math.exp(logits[offset + answer] - max) / sum;
            }
        };
    }
}
