package org.mesascope.ui;

import org.mesascope.probes.lens.LensReport;

import java.util.List;

/**
 * Everything the views show for one prompt, from one forward pass: the lens report (rows = layers + 1, as in the
 * probes library), the attention patterns and the residual-stream statistics.
 *
 * @param lensName     "logit lens" or "tuned lens (DIR)"
 * @param targetText   the token every position's target probability is for, or null for the next input token
 * @param heads        attention heads per layer
 * @param patterns     [layer][head][query * T + key] attention probabilities; a layer is null when the prompt is too
 *                     long to keep every layer's patterns ({@link PromptRunner#PATTERN_FLOATS})
 * @param residualNorm [lens row][position] L2 norm of the residual entering each block, then of the last output
 * @param cosineToFinal [lens row][position] cosine between that residual and the final residual at the position
 * @param attnOutNorm  [layer][position] L2 norm of what attention adds to the residual
 * @param mlpOutNorm   [layer][position] L2 norm of what the MLP adds to the residual
 */
public record PromptRun(String modelName, String lensName, String targetText, int[] tokens, List<String> tokenTexts, LensReport lens,
                        int heads, float[][][] patterns, double[][] residualNorm, double[][] cosineToFinal,
                        double[][] attnOutNorm, double[][] mlpOutNorm) {
    public int length() {
        return tokens.length;
    }

    public int layers() {
        return patterns.length;
    }


    /** Attention probability of {@code query} on {@code key} in one head. */
    public float attention(int layer, int head, int query, int key) {
        return patterns[layer][head][query * tokens.length + key];
    }
}
