package org.mesascope.cli;

import org.mesascope.core.MesascopeException;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.ModelConfig;
import org.mesascope.core.model.Models;
import org.mesascope.probes.lens.LensHtml;
import org.mesascope.probes.lens.LensJson;
import org.mesascope.probes.lens.LensReport;
import org.mesascope.probes.lens.LensTable;
import org.mesascope.probes.lens.LogitLens;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code mesascope demo}: the main job on the model bundled in the repository, with no arguments: a trace of every
 * hook, the logit lens, a terminal summary and an HTML report.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Trace and logit lens on the bundled demo model, with an HTML report.",
                "Runs models/demo-random-gpt2, prints a summary and writes report.html, lens.json and "
                        + "trace.safetensors to ./mesascope-demo (or --out DIR)."})
final class DemoCommand implements Callable<Integer> {
    static final String MODEL = "models/demo-random-gpt2";
    static final String PROMPT = "Once upon a time";
    /** Table columns in the terminal summary; the report has every position. */
    static final int COLUMNS = 8;
    static final String RANDOM_NOTE = "this default model has RANDOM weights (deterministic, seed " + DemoCheckpoint.DEMO.seed()
            + "); trained model organisms arrive with the model-organisms issue";

    @ParentCommand
    Main main;

    @Option(names = {"-o", "--out"}, defaultValue = "mesascope-demo", paramLabel = "DIR",
            description = "folder for the report and data files (default: ${DEFAULT-VALUE})")
    Path out;

    @Override
    public Integer call() {
        Path dir = Outputs.directory(out);
        Path report = dir.resolve("report.html"), lensJson = dir.resolve("lens.json"), trace = dir.resolve("trace.safetensors");
        Outputs.checkWritable(report);

        PrintWriter o = main.out();
        try (LoadedModel m = Models.load(MODEL, bundledModel())) {
            ModelConfig c = m.config();
            int[] tokens = m.tokenizer().encode(PROMPT);
            main.selectDevice();
            Trace t = Trace.capture(m.model(), tokens, List.of("*"));
            LensReport lens = LogitLens.run(m, tokens, 5, null);

            o.println("Mesascope demo");
            o.printf(Locale.ROOT, "model   %s: %s, %d layers, d_model %d, %d heads, vocab %d, %,d parameters%n",
                    MODEL, c.modelType(), c.nLayers(), c.dModel(), c.nHeads(), c.vocabSize(), c.parameterCount());
            o.println("NOTE    " + RANDOM_NOTE + ".");
            o.printf("prompt  \"%s\" -> %d tokens (byte-level: one token per byte)%n", PROMPT, tokens.length);
            o.printf("trace   %d hook points, %s%n", t.tensors().size(), t.size());
            o.println();
            o.print(LensTable.render(lens, COLUMNS));
            o.println("reading: each line is the residual stream at one depth, read through the final norm and unembedding.");
            o.println("         The first finds the input token itself (unembedding tied to the embedding); the last is the"
                    + " model's output (KL 0).");
            o.println();

            TraceCommand.write(t, trace, MODEL, tokens, List.of("*"), PROMPT);
            Outputs.writeText(lensJson, LensJson.toJson(lens) + "\n");
            try {
                LensHtml.write(lens, report, "Mesascope demo: logit lens on " + MODEL + " (random weights)");
            } catch (IOException e) {
                throw Outputs.cannotWrite(report, e);
            }
            o.println("report  " + report + "  (open it in a browser)");
            o.println("data    " + lensJson + ", " + trace);
        }
        return 0;
    }

    /**
     * The bundled checkpoint: under the repository root the launcher passes as {@code mesascope.home}, else under the
     * current folder (running from a checkout without the launcher).
     */
    private static Path bundledModel() {
        String home = System.getProperty("mesascope.home");
        Path dir = (home == null ? Path.of("") : Path.of(home)).resolve(MODEL);
        if (!Files.isDirectory(dir)) {
            throw new MesascopeException("the demo model is missing: no folder " + dir.toAbsolutePath().normalize()
                    + " (run mesascope from a Mesascope checkout, or regenerate it with org.mesascope.cli.DemoCheckpoint)");
        }
        return dir;
    }
}
