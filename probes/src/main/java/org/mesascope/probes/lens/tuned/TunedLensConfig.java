package org.mesascope.probes.lens.tuned;

import org.mesascope.core.hooks.HookPoint;
import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;

/**
 * The JSON sidecar of a saved tuned lens ({@value TunedLens#CONFIG_FILE}): what model it reads, how it was trained
 * and how it did on held-out text. The translators themselves are in {@value TunedLens#TRANSLATORS_FILE}.
 *
 * @param format            always {@value #FORMAT}
 * @param model             the model as it was named when training (a folder, hub id or organism)
 * @param rows              the lens rows' hooks (L+1); rows 0..L-1 have translators, the last has none
 * @param translator        how a translator maps a residual, in words
 * @param headSha256        {@link FinalHead#sha256()} of the model trained against
 * @param translatorsSha256 SHA-256 of the safetensors file, so that a sidecar and weights of different runs are caught
 * @param training          null for a lens that was never trained
 * @param evaluation        per-layer results on the held-out windows; null when none were held out
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TunedLensConfig(String format, int version, String model, String modelType, int dModel, int nLayers,
                              int vocabSize, List<String> rows, String translator, String headSha256,
                              String translatorsSha256, Training training, Evaluation evaluation) {
    public static final String FORMAT = "mesascope-tuned-lens";
    public static final int VERSION = 1;
    public static final String TRANSLATOR = "h -> h + A h + b (A = translators.{l}.weight [out, in], b = translators.{l}.bias);"
            + " rows 0..L-1 are " + HookPoint.residPre(0).template("{l}") + "; the last row ("
            + HookPoint.residPost(0).template("{L-1}") + ") has no translator";

    /**
     * The settings used ({@link TunedLensSettings}, with the window length resolved) and what training saw.
     *
     * @param windowsPerStep  windows of seqLen tokens per step (tokensPerStep rounded up)
     * @param trainWindows    distinct training windows in the corpus (after the held-out ones)
     * @param epochs          passes over the training windows (steps · windowsPerStep / trainWindows)
     * @param loss            the objective per step: Σ over layers of the mean KL (nats)
     */
    public record Training(String corpus, int steps, int tokensPerStep, int seqLen, int windowsPerStep,
                           String optimizer, double lrScale, double learningRate, double momentum, double weightDecay,
                           double maxGradNorm, String schedule, String objective, long seed, int threads,
                           int trainWindows, double epochs, double seconds, List<Double> loss) {
    }

    /** {@link LensEvaluator} on the held-out windows at the end of training. */
    public record Evaluation(int windows, long tokens, double modelPerplexity, List<LayerEval> layers) {
    }
}
