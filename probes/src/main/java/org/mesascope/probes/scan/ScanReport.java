package org.mesascope.probes.scan;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.mesascope.probes.report.Charts;
import org.mesascope.probes.report.Html;
import org.mesascope.probes.report.HtmlPage;
import org.mesascope.probes.report.Report;
import org.mesascope.probes.report.Table;

import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A scan: each heuristic's finding on the model and, when one was given, on its control twin (the same data through a
 * model known not to have what is looked for). Scores are evidence with their uncertainty, not verdicts.
 *
 * @param control null when the scan ran without a control model
 */
public record ScanReport(String model, String control, String suite, long seed, List<Row> rows) implements Report {
    /**
     * One heuristic: its meaning and its findings ({@code control} null without a control model), or, when the data
     * did not allow it, both null and {@code skipped} saying why.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Row(String heuristic, @JsonProperty("score_meaning") String scoreMeaning, Finding model,
                      Finding control, String skipped) {
    }

    private static final ObjectMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    @Override
    public String kind() {
        return "scan";
    }

    @Override
    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);  // records of numbers, strings, arrays and maps: a bug
        }
    }

    @Override
    public List<Table> tables() {
        Table.Builder summary = Table.builder("summary", "heuristic", "model", "score", "low", "high", "control",
                "control_score", "control_low", "control_high", "score_meaning");
        Table.Builder perRow = Table.builder("per_row", "heuristic", "row", "model_value", "control_value", "meaning");
        for (Row r : rows) {
            if (r.model == null) {
                summary.row(r.heuristic, model, null, null, null, control, null, null, null, "skipped: " + r.skipped);
                continue;
            }
            Finding c = r.control;
            summary.row(r.heuristic, model, r.model.score().value(), r.model.score().low(), r.model.score().high(),
                    control, c == null ? null : c.score().value(), c == null ? null : c.score().low(),
                    c == null ? null : c.score().high(), r.scoreMeaning);
            for (int i = 0; i < r.model.perRow().length; i++) {
                perRow.row(r.heuristic, i, r.model.perRow()[i],
                        c == null || i >= c.perRow().length ? null : c.perRow()[i], r.model.perRowMeaning());
            }
        }
        return List.of(summary.build(), perRow.build());
    }

    /** The summary as fixed-width text, for the terminal. */
    public String summaryText() {
        int width = Math.max(16, rows.stream().mapToInt(r -> r.heuristic.length()).max().orElse(0));
        String name = "%-" + width + "s ";
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, name + "%-26s %-26s%n", "heuristic",
                "score [95% CI]", control == null ? "" : "control [95% CI]"));
        for (Row r : rows) {
            if (r.model == null) {
                sb.append(String.format(Locale.ROOT, name + "skipped: %s%n", r.heuristic, r.skipped));
                continue;
            }
            sb.append(String.format(Locale.ROOT, name + "%-26s %-26s%n", r.heuristic, r.model.score().format(),
                    r.control == null ? "" : r.control.score().format()));
        }
        return sb.toString();
    }

    @Override
    public String toHtml() {
        return HtmlPage.of("Mesascope scan: " + model, Table.CSS, "<h1>Mesascope scan: " + Html.escape(model)
                + "</h1>\n" + htmlBody(2));
    }

    /**
     * The report below its title, for embedding in a larger page (add {@link Table#CSS} to its style);
     * {@code level} is the heading level of each heuristic's section.
     */
    public String htmlBody(int level) {
        StringBuilder body = new StringBuilder();
        body.append("<p class=\"meta\">suite ")
                .append(Html.escape(suite)).append(control == null ? "" : " · control twin " + Html.escape(control))
                .append(" · seed ").append(seed).append(" · 95% percentile-bootstrap intervals").append("</p>\n");
        body.append("<p>Each score is evidence with its uncertainty, not a verdict; compare it with the control twin's,"
                + " which ran on the same data.</p>\n");
        body.append(tables().getFirst().toHtml());
        for (Row r : rows) {
            body.append("<h").append(level).append('>').append(Html.escape(r.heuristic)).append("</h").append(level)
                    .append(">\n<p>Score: ")
                    .append(Html.escape(r.scoreMeaning)).append(".</p>\n");
            if (r.model == null) {
                body.append("<p>Skipped: ").append(Html.escape(r.skipped)).append(".</p>\n");
                continue;
            }
            Map<String, double[]> series = new LinkedHashMap<>();
            series.put(model, r.model.perRow());
            if (r.control != null) series.put(control, r.control.perRow());
            boolean unit = r.model.perRowMeaning().contains("AUROC") || r.model.perRowMeaning().contains("accuracy");
            body.append("<img alt=\"").append(Html.escape(r.model.perRowMeaning())).append(" per lens row\" src=\"")
                    .append(Charts.pngDataUri(Charts.perRow(r.heuristic, "lens row (0 = embedding, L = last block's output)",
                            r.model.perRowMeaning(), series, unit), 720, 320)).append("\">\n");
            List<Finding> findings = new ArrayList<>();
            findings.add(r.model);
            if (r.control != null) findings.add(r.control);
            for (Finding f : findings) {
                body.append("<p class=\"meta\">").append(Html.escape(f.model())).append(": ");
                f.details().forEach((k, v) -> body.append(Html.escape(k)).append(" = ")
                        .append(Html.escape(format(v))).append("; "));
                body.append("</p>\n");
            }
        }
        return body.toString();
    }

    private static String format(Object v) {
        if (v instanceof double[] a) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < a.length; i++) sb.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.3f", a[i]));
            return sb.append(']').toString();
        }
        if (v instanceof Double d) return String.format(Locale.ROOT, "%.4g", d);
        if (v instanceof Estimate e) return e.format();
        if (v instanceof Map<?, ?> m) {  // nested details (e.g. one entry per reference), formatted all the way down
            StringBuilder sb = new StringBuilder("{");
            m.forEach((k, x) -> sb.append(sb.length() == 1 ? "" : ", ").append(k).append(": ").append(format(x)));
            return sb.append('}').toString();
        }
        return String.valueOf(v);
    }
}
