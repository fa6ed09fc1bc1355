package org.mesascope.probes.steer;

import org.mesascope.core.MesascopeException;
import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.model.LanguageModel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Steering vectors made from the model's own residuals: ActAdd from one prompt pair, CAA from many. */
public final class SteeringVectors {
    /** Prompts per forward pass when reading many residuals (padding keeps each sequence's numbers its own). */
    private static final int BATCH = 16;

    private SteeringVectors() {
    }

    /**
     * ActAdd (Turner et al. 2023, Algorithm 1): the residuals of {@code plus} and {@code minus} at {@code hook},
     * the shorter prompt right-padded with {@code padToken} (they pad with the space token) to the longer one's n
     * tokens, and the difference {@code h(plus) − h(minus)} kept per position: an [n, d] vector that
     * {@link Steering#actAdd} adds to the first n positions of the user's prompt.
     *
     * @param padToken the id to pad the shorter prompt with; ignored when both have the same length
     */
    public static SteeringVector actAdd(LanguageModel model, String hook, int[] plus, int[] minus, int padToken,
                                        SteeringVector.Provenance provenance) {
        SteerHooks.check(model, hook);
        if (plus.length == 0 || minus.length == 0) throw new MesascopeException("ActAdd needs two non-empty prompts");
        int n = Math.max(plus.length, minus.length), d = model.config().dModel();
        if (plus.length != minus.length && (padToken < 0 || padToken >= model.config().vocabSize())) {
            throw new MesascopeException("pad token " + padToken + " is outside the vocabulary (ids 0.."
                    + (model.config().vocabSize() - 1) + ")");
        }
        int[] p = pad(plus, n, padToken), m = pad(minus, n, padToken);
        List<float[]> h = residuals(model, hook, List.of(p, m));
        float[] diff = new float[n * d];
        for (int i = 0; i < diff.length; i++) diff[i] = h.get(0)[i] - h.get(1)[i];
        return new SteeringVector(hook, n, d, diff, provenance);
    }

    /**
     * CAA (Rimsky et al. 2024): the mean over pairs of {@code h(positive) − h(negative)} at {@code hook}, each read
     * at its prompt's last token (their answer-letter position; end the texts there). Summed in double, rounded to
     * float32 once.
     */
    public static SteeringVector caa(LanguageModel model, String hook, List<int[]> positives, List<int[]> negatives,
                                     SteeringVector.Provenance provenance) {
        SteerHooks.check(model, hook);
        if (positives.size() != negatives.size()) {
            throw new IllegalArgumentException(positives.size() + " positive and " + negatives.size() + " negative prompts");
        }
        if (positives.isEmpty()) throw new MesascopeException("CAA needs at least one contrast pair");
        int d = model.config().dModel();
        double[] sum = new double[d];
        List<float[]> pos = residuals(model, hook, positives), neg = residuals(model, hook, negatives);
        for (int k = 0; k < positives.size(); k++) {
            int lp = (positives.get(k).length - 1) * d, ln = (negatives.get(k).length - 1) * d;
            for (int i = 0; i < d; i++) sum[i] += (double) pos.get(k)[lp + i] - neg.get(k)[ln + i];
        }
        float[] mean = new float[d];
        for (int i = 0; i < d; i++) mean[i] = (float) (sum[i] / positives.size());
        return SteeringVector.of(hook, mean, provenance);
    }

    /** Each prompt's residual at {@code hook}: [length × d] floats, unsteered, a few prompts per forward pass. */
    public static List<float[]> residuals(LanguageModel model, String hook, List<int[]> prompts) {
        int d = model.config().dModel();
        List<float[]> out = new ArrayList<>(prompts.size());
        for (int from = 0; from < prompts.size(); from += BATCH) {
            List<int[]> chunk = prompts.subList(from, Math.min(prompts.size(), from + BATCH));
            float[][] got = new float[chunk.size()][];
            HookRegistry capture = new HookRegistry().addSink(hook, (h, value, batch) -> {
                // [B, width, d]; the tensor is valid only during this call, so copy each sequence's real rows
                int width = batch.width();
                for (int b = 0; b < batch.size(); b++) {
                    got[b] = Arrays.copyOfRange(value.data(), b * width * d, (b * width + batch.length(b)) * d);
                }
            });
            model.forward(Batch.of(chunk.toArray(int[][]::new)), capture);
            for (int b = 0; b < got.length; b++) {
                if (got[b] == null) throw new IllegalStateException("the model never called hook " + hook);
                out.add(got[b]);
            }
        }
        return out;
    }

    private static int[] pad(int[] prompt, int n, int padToken) {
        int[] out = Arrays.copyOf(prompt, n);
        Arrays.fill(out, prompt.length, n, padToken);
        return out;
    }
}
