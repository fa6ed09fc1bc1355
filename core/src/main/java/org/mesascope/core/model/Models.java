package org.mesascope.core.model;

import org.mesascope.core.io.HfWeights;
import org.mesascope.core.io.ModelLocator;
import org.mesascope.core.io.Weights;
import org.mesascope.core.tokenizer.Tokenizer;
import org.mesascope.core.tokenizer.Tokenizers;

import java.nio.file.Path;

/** Opens checkpoints: a folder or a hub id from the local Hugging Face cache, to a runnable model. */
public final class Models {
    private Models() {
    }

    /** {@code model} is a directory or a hub id ("gpt2", "EleutherAI/pythia-70m") found in the local HF cache. */
    public static LoadedModel load(String model) {
        return load(model, ModelLocator.resolve(model));
    }

    public static LoadedModel load(String name, Path dir) {
        ModelConfig config = ModelConfig.read(dir);
        Weights weights = HfWeights.open(dir);
        try {
            LanguageModel lm = build(config, weights);
            Tokenizer tokenizer = Tokenizers.load(dir);
            return new LoadedModel(name, dir, config, weights, lm, tokenizer);
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    /** The architecture for {@code config}, bound to {@code weights} (every tensor is checked for presence and shape). */
    public static LanguageModel build(ModelConfig config, Weights weights) {
        return new Transformer(config, weights);
    }
}
