package org.mesascope.cli;

import org.mesascope.core.MesascopeException;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.probes.lens.LensHtml;
import org.mesascope.probes.lens.LensJson;
import org.mesascope.probes.lens.LensReport;
import org.mesascope.probes.lens.LensTable;
import org.mesascope.probes.lens.LogitLens;
import picocli.CommandLine;
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
        TABLE, JSON, HTML;

        static final class Converter implements CommandLine.ITypeConverter<Format> {
            @Override
            public Format convert(String value) {
                return switch (value) {
                    case "table" -> TABLE;
                    case "json" -> JSON;
                    case "html" -> HTML;
                    default -> throw new CommandLine.TypeConversionException(
                            "unknown format '" + value + "' (choose table, json or html)");
                };
            }
        }
    }

    @ParentCommand
    Main main;

    @Spec
    CommandSpec spec;

    @Mixin
    ModelInput input;

    @Option(names = "--lens", defaultValue = "logit", paramLabel = "LENS",
            description = "logit (default), or tuned:DIR for a trained tuned lens (not available yet)")
    String lens;

    @Option(names = "--top", defaultValue = "5", paramLabel = "K", description = "tokens listed per layer and position (default: ${DEFAULT-VALUE})")
    int top;

    @Option(names = "--format", defaultValue = "table", paramLabel = "FORMAT", converter = Format.Converter.class,
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
        if (lens.startsWith("tuned:")) {
            throw new MesascopeException("--lens " + lens + ": the tuned lens is not available yet (it arrives with"
                    + " the tuned-lens issue); use --lens logit");
        }
        if (!lens.equals("logit")) throw usage("unknown lens '" + lens + "' (choose logit or tuned:DIR)");
        if (top < 1) throw usage("--top must be at least 1, got " + top);
        if (columns < 1) throw usage("--columns must be at least 1, got " + columns);
        Path target = out != null || format != Format.HTML ? out : Path.of("lens.html");
        if (target != null) Outputs.checkWritable(target);

        try (LoadedModel m = input.load()) {
            int[] tokens = input.tokens(m, 0);
            main.selectDevice();
            // asking for more tokens than the vocabulary has lists the whole vocabulary
            LensReport report = LogitLens.run(m, tokens, Math.min(top, m.config().vocabSize()), null);
            switch (format) {
                case TABLE -> emit(LensTable.render(report, columns), target);
                case JSON -> emit(LensJson.toJson(report) + "\n", target);
                case HTML -> {
                    try {
                        LensHtml.write(report, target, "Logit lens · " + m.name());
                    } catch (IOException e) {
                        throw Outputs.cannotWrite(target, e);
                    }
                    main.err().println("wrote " + target);
                }
            }
        }
        return 0;
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
