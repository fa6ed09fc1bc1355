package org.mesascope.probes.lens;

import org.mesascope.core.model.LanguageModel;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.tensor.Tensor;
import org.mesascope.core.tokenizer.Tokenizer;

/** The logit lens (nostalgebraist, 2020): every residual row read through the model's final norm and unembedding. */
public final class LogitLens implements Lens {
    private final LanguageModel model;

    public LogitLens(LanguageModel model) {
        this.model = model;
    }

    @Override
    public Tensor logits(int row, Tensor residual) {
        return model.unembed(residual);
    }

    /** The logit lens over {@code tokens}, token texts from the checkpoint's tokenizer (if it has one). */
    public static LensReport run(LoadedModel m, int[] tokens, int topK, int[] targets) {
        return run(m.model(), m.tokenizer(), m.name(), tokens, topK, targets);
    }

    /**
     * @param tokenizer null when there is none: token texts are then written {@code <id>}
     * @param targets   see {@link LensRunner#run}
     */
    public static LensReport run(LanguageModel model, Tokenizer tokenizer, String modelName, int[] tokens, int topK,
                                 int[] targets) {
        return LensRunner.run(new LogitLens(model), model, tokenizer, modelName, tokens, topK, targets);
    }
}
