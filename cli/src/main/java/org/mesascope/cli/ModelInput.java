package org.mesascope.cli;

import org.mesascope.cli.support.Errors;
import org.mesascope.core.MesascopeException;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.ModelConfig;
import org.mesascope.core.model.Models;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

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

        @Option(names = "--vectors", required = true, paramLabel = "FILE",
                description = "for vector-input models (docs/formats.md; trace only): a text file of numbers, one"
                        + " position per line, comma- or space-separated")
        Path vectors;
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

    /** The --vectors file, or null. */
    Path vectorsFile() {
        return prompt.vectors;
    }

    /**
     * The --vectors file as one sequence (positions × the model's input width, position-major), checked against the
     * model before any forward pass: a vector-input model, every line that width, finite numbers, within the context.
     */
    float[] vectors(LoadedModel m) {
        ModelConfig.VectorIo io = m.config().vectors();
        if (io == null) throw new MesascopeException(m.name() + " reads token ids, not vectors; give --prompt or --tokens");
        List<String> lines;
        try {
            // bounded before reading: a line per position, each at most a few dozen characters per value
            long size = Files.size(prompt.vectors);
            long limit = (long) m.config().maxPositions() * io.inputDim() * 64 + 4096;
            if (size > limit) throw new MesascopeException(prompt.vectors + " is " + size + " bytes, more than "
                    + m.config().maxPositions() + " positions of " + io.inputDim() + " values can take");
            lines = Files.readAllLines(prompt.vectors);
        } catch (IOException e) {
            throw new MesascopeException("cannot read " + prompt.vectors + ": " + Errors.describe(e));
        }
        List<float[]> rows = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            String[] fields = line.split("[,\\s]+");
            if (fields.length != io.inputDim()) {
                throw new MesascopeException(prompt.vectors + " line " + (i + 1) + " has " + fields.length
                        + " values; the model reads " + io.inputDim() + " per position");
            }
            float[] row = new float[fields.length];
            for (int j = 0; j < fields.length; j++) {
                try {
                    row[j] = Float.parseFloat(fields[j]);
                } catch (NumberFormatException e) {
                    row[j] = Float.NaN;
                }
                if (!Float.isFinite(row[j])) {
                    throw new MesascopeException(prompt.vectors + " line " + (i + 1) + ": '" + fields[j] + "' is not a finite number");
                }
            }
            rows.add(row);
        }
        if (rows.isEmpty()) throw new MesascopeException(prompt.vectors + " has no vectors");
        if (rows.size() > m.config().maxPositions()) {
            throw new MesascopeException(rows.size() + " vectors are more than the model's context of "
                    + m.config().maxPositions() + " positions");
        }
        float[] flat = new float[rows.size() * io.inputDim()];
        for (int t = 0; t < rows.size(); t++) System.arraycopy(rows.get(t), 0, flat, t * io.inputDim(), io.inputDim());
        return flat;
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
        if (prompt.vectors != null) {
            throw new MesascopeException("--vectors is only for `trace` on a vector-input model; give --prompt or --tokens");
        }
        if (m.config().vectors() != null) {
            throw new MesascopeException(m.name() + " reads vectors, not tokens (docs/formats.md): use `trace --vectors"
                    + " FILE`, or `scan` (its icl suite)");
        }
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
