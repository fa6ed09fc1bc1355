package org.mesascope.cli;

import org.mesascope.core.MesascopeException;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.ModelConfig;
import org.mesascope.core.model.Models;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

import java.util.Arrays;

/** {@code --model} and the prompt ({@code --prompt} text or {@code --tokens} ids), shared by the commands that run a model. */
final class ModelInput {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL",
            description = "a Hugging Face model folder, or a hub id found in the local HF cache (gpt2, EleutherAI/pythia-70m)")
    String model;

    @ArgGroup(multiplicity = "1")
    Prompt prompt;

    /** Exactly one of the two. */
    static final class Prompt {
        @Option(names = "--prompt", required = true, paramLabel = "TEXT",
                description = "the prompt, encoded with the model's tokenizer")
        String text;

        @Option(names = "--tokens", required = true, paramLabel = "IDS", converter = TokenIds.Converter.class,
                description = "token ids instead of text, comma-separated (1,5,7); no tokenizer needed")
        TokenIds ids;
    }

    /**
     * The value of --tokens. One option value rather than an int[] field, which picocli would treat as a repeatable
     * option (and show so in every message about the prompt).
     */
    record TokenIds(int[] ids) {
        static final class Converter implements CommandLine.ITypeConverter<TokenIds> {
            @Override
            public TokenIds convert(String value) {
                try {
                    return new TokenIds(Arrays.stream(value.split(",", -1)).map(String::strip)
                            .mapToInt(Integer::parseInt).toArray());
                } catch (NumberFormatException e) {
                    throw new CommandLine.TypeConversionException(
                            "'" + value + "' is not a comma-separated list of token ids (e.g. 1,5,7)");
                }
            }
        }
    }

    LoadedModel load() {
        return Models.load(model);
    }

    /** The prompt text as given, or null for {@code --tokens}. */
    String text() {
        return prompt.text;
    }

    /**
     * The prompt's token ids, checked against the model: every id in its vocabulary, and the prompt plus
     * {@code newTokens} generated ones within its context. Checked here, before any forward pass, so that a bad
     * input fails before the command starts working (and before it says anything about the device).
     */
    int[] tokens(LoadedModel m, int newTokens) {
        int[] ids;
        if (prompt.ids != null) {
            ids = prompt.ids.ids().clone();
        } else {
            if (m.tokenizer() == null) {
                throw new MesascopeException(m.name() + " has no tokenizer (tokenizer.json, or vocab.json + merges.txt);"
                        + " give token ids with --tokens instead of --prompt");
            }
            ids = m.tokenizer().encode(prompt.text);
        }
        if (ids.length == 0) throw new MesascopeException("empty prompt: it has no tokens");
        ModelConfig c = m.config();
        for (int t = 0; t < ids.length; t++) {
            if (ids[t] < 0 || ids[t] >= c.vocabSize()) {
                throw new MesascopeException("token id " + ids[t] + " at position " + t
                        + " is outside the vocabulary (ids 0.." + (c.vocabSize() - 1) + ")");
            }
        }
        if (ids.length + newTokens > c.maxPositions()) {
            String context = " is longer than the model's context of " + c.maxPositions() + " positions";
            throw new MesascopeException(newTokens == 0 ? "prompt of " + ids.length + " tokens" + context
                    : "prompt of " + ids.length + " tokens plus " + newTokens + " new ones" + context + " (lower --max-new)");
        }
        return ids;
    }
}
