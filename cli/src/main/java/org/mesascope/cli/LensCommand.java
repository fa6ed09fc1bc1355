package org.mesascope.cli;

import org.mesascope.cli.support.Outputs;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.probes.lens.LensHtml;
import org.mesascope.probes.lens.LensJson;
import org.mesascope.probes.lens.LensReport;
import org.mesascope.probes.lens.LensRunner;
import org.mesascope.probes.lens.LensTable;
import org.mesascope.probes.lens.LogitLens;
import org.mesascope.probes.lens.tuned.TunedLens;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code mesascope lens}: the logit lens over one prompt, as a terminal table, JSON or an HTML report. */
@Command(name = "lens", mixinStandardHelpOptions = true,
        description = {"Logit lens report for one prompt.",
                "Every layer's residual stream read through the model's final norm and unembedding: per layer "
                        + "and position the top tokens, entropy, KL to the final distribution, and the next token's "
                        + "probability and rank."})
final class LensCommand implements Callable<Integer> {
    enum Format {
        TABLE, JSON, HTML
    }

    @ParentCommand
    Main main;

    @Spec
    CommandSpec spec;

    @Mixin
    ModelInput input;

    @Option(names = "--lens", defaultValue = "logit", paramLabel = "LENS",
            description = "logit (default), or tuned:DIR for a tuned lens trained by `mesascope tuned-lens train`")
    String lens;

    @Option(names = "--top", defaultValue = "5", paramLabel = "K", description = "tokens listed per layer and position (default: ${DEFAULT-VALUE})")
    int top;

    @Option(names = "--format", defaultValue = "table", paramLabel = "FORMAT",
            description = "table (default), json or html")
    Format format;

    @Option(names = {"-o", "--out"}, paramLabel = "FILE",
            description = "write the report here (default: stdout for table and json, lens.html for html)")
    Path out;

    @Option(names = "--columns", defaultValue = "16", paramLabel = "N",
            description = "table only: show the last N positions (default: ${DEFAULT-VALUE}); json and html have all")
    int columns;

    @Override
    public Integer call() {
        Path tunedDir = null;
        if (lens.startsWith("tuned:")) {
            if (lens.length() == "tuned:".length()) throw usage("--lens tuned:DIR needs the lens's folder after 'tuned:'");
            tunedDir = Path.of(lens.substring("tuned:".length()));
        } else if (!lens.equals("logit")) {
            throw usage("unknown lens '" + lens + "' (choose logit or tuned:DIR)");
        }
        if (top < 1) throw usage("--top must be at least 1, got " + top);
        if (columns < 1) throw usage("--columns must be at least 1, got " + columns);
        Path target = out != null || format != Format.HTML ? out : Path.of("lens.html");
        if (target != null) Outputs.checkWritable(target);

        try (LoadedModel m = input.load()) {
            int[] tokens = input.tokens(m, 0);
            TunedLens tuned = tunedDir == null ? null : TunedLens.load(tunedDir, m);
            if (tuned != null) for (String w : tuned.warnings()) main.err().println("mesascope: warning: " + w);
            main.selectDevice();
            // asking for more tokens than the vocabulary has lists the whole vocabulary
            int k = Math.min(top, m.config().vocabSize());
            LensReport report = tuned == null ? LogitLens.run(m, tokens, k, null)
                    : LensRunner.run(tuned, m.model(), m.tokenizer(), m.name(), tokens, k, null);
            switch (format) {
                case TABLE -> emit((tuned == null ? "" : "lens: tuned lens " + tunedDir + "\n")
                        + LensTable.render(report, columns), target);
                case JSON -> emit((tuned == null ? LensJson.toJson(report) : withLens(report, tuned, tunedDir)) + "\n", target);
                case HTML -> {
                    try {
                        LensHtml.write(report, target, (tuned == null ? "Logit lens · " : "Tuned lens (" + tunedDir + ") · ")
                                + m.name());
                    } catch (IOException e) {
                        throw Outputs.cannotWrite(target, e);
                    }
                    main.err().println("wrote " + target);
                }
            }
        }
        return 0;
    }

    /**
     * The JSON of DESIGN.md with a {@code "lens"} object after {@code "model"} saying which tuned lens read the rows
     * (the logit lens's record stays exactly as DESIGN.md shows it).
     */
    private static String withLens(LensReport report, TunedLens tuned, Path dir) {
        JsonMapper json = JsonMapper.builder().build();
        try {
            JsonNode plain = json.readTree(LensJson.toJson(report));
            ObjectNode out = json.createObjectNode();
            out.set("model", plain.get("model"));
            ObjectNode lens = out.putObject("lens");
            lens.put("type", "tuned");
            lens.put("dir", dir.toString());
            lens.put("trained_for", tuned.config().model());
            if (tuned.config().training() != null) lens.put("trained_on", tuned.config().training().corpus());
            plain.properties().forEach(e -> {
                if (!e.getKey().equals("model")) out.set(e.getKey(), e.getValue());
            });
            return json.writeValueAsString(out);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("the lens record is JSON that Jackson itself wrote", e);
        }
    }

    /** {@code text} to {@code target}, or to stdout when there is none. */
    private void emit(String text, Path target) {
        if (target == null) {
            main.out().print(text);
            main.out().flush();
        } else {
            Outputs.writeText(target, text);
            main.err().println("wrote " + target);
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
