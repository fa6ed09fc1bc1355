package org.mesascope.core.model;

import org.mesascope.core.io.Weights;
import org.mesascope.core.tokenizer.Tokenizer;

import java.nio.file.Path;

/**
 * A checkpoint opened from disk: where it came from, its config, its mapped weights, the runnable model and,
 * when the folder has one, its tokenizer (null otherwise: then only token ids can be given).
 */
public record LoadedModel(String name, Path dir, ModelConfig config, Weights weights, LanguageModel model,
                          Tokenizer tokenizer) implements AutoCloseable {
    @Override
    public void close() {
        if (tokenizer != null) tokenizer.close();
        weights.close();
    }
}
