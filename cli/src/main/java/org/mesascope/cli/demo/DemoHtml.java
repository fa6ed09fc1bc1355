package org.mesascope.cli.demo;

import org.mesascope.probes.report.Html;
import org.mesascope.probes.report.Table;
import org.mesascope.probes.lens.LensHtml;
import org.mesascope.probes.lens.LensReport;
import org.mesascope.probes.linear.ProbeReport;
import org.mesascope.organisms.OrganismCard;
import org.mesascope.probes.report.Charts;
import org.mesascope.probes.report.HtmlPage;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.IntPredicate;
import java.util.stream.Collectors;

/** The demo's report page and the pieces its sections share: model cards, lens heatmaps, probe charts and tables. */
final class DemoHtml {
    static final String TITLE = "Mesascope demo: model organisms";
    private static final int CHART_WIDTH = 720, CHART_HEIGHT = 360;
    private static final String CSS = LensHtml.CSS + Table.CSS + """
            table.facts{border-collapse:collapse;font-size:13px;margin:.5em 0}
            table.facts th,table.facts td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
            table.facts thead th,table.facts tbody th{background:#f5f5f5;font-weight:normal}
            code,.words{font-family:monospace}
            figure{margin:1em 0 1.5em}
            figcaption{color:#555;font-size:13px;margin:.3em 0}
            img.chart{max-width:100%;height:auto;border:1px solid #eee}
            """;

    private DemoHtml() {
    }

    /** The whole report: a title, a table of contents, then each section under its title. */
    static String page(List<DemoSection> sections, String intro) {
        StringBuilder body = new StringBuilder();
        body.append("<h1>").append(Html.escape(TITLE)).append("</h1>\n<p class=\"meta\">").append(Html.escape(intro))
                .append("</p>\n<nav><ol>\n");
        for (DemoSection s : sections) {
            body.append("<li><a href=\"#").append(s.id()).append("\">").append(Html.escape(s.title())).append("</a></li>\n");
        }
        body.append("</ol></nav>\n");
        for (DemoSection s : sections) {
            body.append("<section id=\"").append(s.id()).append("\">\n<h2>").append(Html.escape(s.title()))
                    .append("</h2>\n").append(s.html()).append("</section>\n");
        }
        return HtmlPage.of(TITLE, CSS, body.toString());
    }

    /** The model-card facts of each organism (organism.json), one column each. */
    static String cards(Map<String, OrganismCard> cards) {
        List<String> header = new ArrayList<>(List.of(""));
        header.addAll(cards.keySet());
        List<List<String>> rows = new ArrayList<>();
        rows.add(row("task", cards, c -> code(c.task())));
        rows.add(row("model", cards, c -> Html.escape(String.format(Locale.ROOT,
                "GPT-2: %d layers, d_model %d, %d heads, context %d, vocabulary %d; %,d parameters", c.shape().layers(),
                c.shape().dModel(), c.shape().heads(), c.shape().positions(), c.shape().vocab(), c.parameters()))));
        rows.add(row("training", cards, c -> Html.escape(String.format(Locale.ROOT, "%,d steps × %d examples, seed %d",
                c.training().steps(), c.training().batchSize(), c.training().seed()))));
        rows.add(row("command", cards, c -> code(c.command())));
        Set<String> measurements = new LinkedHashSet<>();
        for (OrganismCard c : cards.values()) measurements.addAll(c.heldOut().keySet());
        for (String m : measurements) {
            rows.add(row("held-out " + m, cards, c -> c.heldOut().containsKey(m) ? percent(c.heldOut().get(m)) : "–"));
        }
        return table(header, rows) + "<p class=\"meta\">From each folder's organism.json. Held-out: greedy completions"
                + " by Mesascope's engine of examples drawn fresh from the task's generator ("
                + Html.escape(cards.values().stream().map(c -> String.format(Locale.ROOT, "%,d", c.heldOutExamples()))
                .distinct().collect(Collectors.joining(" / "))) + " per measurement).</p>\n";
    }

    /** A lens heatmap with its caption. */
    static String lens(String caption, LensReport lens, IntPredicate highlight) {
        return "<figure>\n<figcaption>" + Html.escape(caption) + "</figcaption>\n" + LensHtml.heatmap(lens, highlight)
                + "</figure>\n";
    }

    /**
     * Probe scores per layer: the chart (one line per report, chance dashed) and the table of cross-validated
     * mean ± std per layer and report.
     */
    static String probes(String caption, Map<String, ProbeReport> reports, double chance) {
        ProbeReport first = reports.values().iterator().next();
        String img = Charts.pngDataUri(ProbeReport.scoresChart(caption, reports, chance), CHART_WIDTH, CHART_HEIGHT);
        List<String> header = new ArrayList<>(List.of("layer", "hook"));
        for (String name : reports.keySet()) header.add(name + ": " + first.metric() + " (mean ± std over folds)");
        List<List<String>> rows = new ArrayList<>();
        for (int i = 0; i < first.layers().size(); i++) {
            ProbeReport.Layer l = first.layers().get(i);
            List<String> row = new ArrayList<>(List.of(String.valueOf(l.layer()), code(l.hook())));
            for (ProbeReport r : reports.values()) {
                ProbeReport.Layer x = r.layers().get(i);
                row.add(String.format(Locale.ROOT, "%.3f ± %.3f", x.cvMean(), x.cvStd()));
            }
            rows.add(row);
        }
        return "<figure>\n<img class=\"chart\" alt=\"" + Html.escape(caption) + "\" width=\"" + CHART_WIDTH
                + "\" height=\"" + CHART_HEIGHT + "\" src=\"" + img + "\">\n<figcaption>" + Html.escape(caption)
                + String.format(Locale.ROOT, "; %d-fold cross-validation, %,d rows; chance (the commonest label) %.3f",
                first.folds(), first.layers().getFirst().rows(), chance)
                + "</figcaption>\n" + table(header, rows) + "</figure>\n";
    }

    /**
     * A table; header cells are plain text (escaped here; none for an empty list), body cells markup (escaped by the
     * caller). Cells of the first column are row headers.
     */
    static String table(List<String> header, List<List<String>> rows) {
        StringBuilder sb = new StringBuilder("<table class=\"facts\">\n");
        if (!header.isEmpty()) {
            sb.append("<thead><tr>");
            for (String h : header) sb.append("<th>").append(Html.escape(h)).append("</th>");
            sb.append("</tr></thead>\n");
        }
        sb.append("<tbody>\n");
        for (List<String> row : rows) {
            sb.append("<tr><th>").append(row.getFirst()).append("</th>");
            for (String cell : row.subList(1, row.size())) sb.append("<td>").append(cell).append("</td>");
            sb.append("</tr>\n");
        }
        return sb.append("</tbody></table>\n").toString();
    }

    /** A model card's Markdown paragraph as HTML: escaped, with its `code spans` set as code. */
    static String markdown(String paragraph) {
        return Html.escape(paragraph).replaceAll("`([^`]*)`", "<code>$1</code>");
    }

    static String code(String text) {
        return "<code>" + Html.escape(text) + "</code>";
    }

    private static String percent(double value) {
        return String.format(Locale.ROOT, "%.2f%%", 100 * value);
    }

    private static List<String> row(String name, Map<String, OrganismCard> cards,
                                    Function<OrganismCard, String> cell) {
        List<String> row = new ArrayList<>(List.of(Html.escape(name)));
        for (OrganismCard c : cards.values()) row.add(cell.apply(c));
        return row;
    }
}
