package org.mesascope.ui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.control.Button;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.VBox;
import javafx.stage.FileChooser;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.fx.ChartViewer;
import org.mesascope.core.MesascopeException;
import org.mesascope.probes.linear.LayerChart;
import org.mesascope.probes.report.Charts;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * View 4: per-layer curves from a saved report. A probe or CCS report ({@code probe.json}, {@code ccs.json}: a
 * {@code layers} array) gives one chart of every per-layer score; a scan report ({@code scan.json} of
 * {@code mesascope scan}) gives one chart per heuristic, its per-row evidence on the model and on the control twin.
 */
public final class ProbesView extends BorderPane {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** Per-layer fields of a probe report that describe the fit rather than score it. */
    private static final Set<String> NOT_SCORES = Set.of("layer", "rows", "dim", "regularization", "log_loss", "cv_std");

    /**
     * One chart, drawn by the probes library as its reports draw it; {@code series} holds its points per series name
     * ((x, y): layer or lens row, value).
     */
    public record Panel(String name, String caption, JFreeChart chart, Map<String, List<double[]>> series) {
    }

    /** What one report file shows: one panel (probe report) or one per heuristic (scan). */
    public record Curves(String title, List<Panel> panels) {
    }

    private final ChartViewer chart = new ChartViewer(null);
    private final ComboBox<String> panel = new ComboBox<>();
    private final Label caption = new Label("Open a saved probe, CCS or scan report (JSON).");
    private final Label panelCaption = new Label();
    private Curves curves;

    public ProbesView(Consumer<Path> opener) {
        chart.setId("probeChart");
        caption.setId("probeCaption");
        panel.setId("scanHeuristic");
        panelCaption.setId("probePanelCaption");
        panelCaption.setWrapText(true);
        Button open = new Button("Open report…");
        open.setId("openProbeReport");
        open.setOnAction(e -> {
            FileChooser chooser = new FileChooser();
            chooser.getExtensionFilters().add(new FileChooser.ExtensionFilter("report JSON", "*.json"));
            var f = chooser.showOpenDialog(getScene() == null ? null : getScene().getWindow());
            if (f != null) opener.accept(f.toPath());
        });
        HBox bar = new HBox(8, open, panel, caption);
        bar.setAlignment(Pos.CENTER_LEFT);
        bar.setPadding(new Insets(6));
        panel.setVisible(false);
        panel.managedProperty().bind(panel.visibleProperty());
        panel.valueProperty().addListener((o, a, b) -> showPanel());
        VBox top = new VBox(4, bar, panelCaption);
        panelCaption.setPadding(new Insets(0, 6, 4, 6));
        setTop(top);
        setCenter(chart);
    }

    /** Reads the curves of a saved report (off the FX thread). */
    public static Curves read(Path file) throws IOException {
        JsonNode root = JSON.readTree(file.toFile());
        String name = file.getFileName().toString();
        if (root.path("rows").isArray() && root.has("suite")) return scan(root, name);
        JsonNode layers = root.path("layers");
        if (!layers.isArray() || layers.isEmpty()) {
            throw new MesascopeException(name + " has neither a per-layer 'layers' array nor scan rows; open a probe, CCS or scan report");
        }
        Map<String, List<double[]>> series = new LinkedHashMap<>();
        for (int i = 0; i < layers.size(); i++) {
            JsonNode layer = layers.get(i);
            double at = layer.path("layer").asDouble(i);
            for (var field : layer.properties()) {
                if (NOT_SCORES.contains(field.getKey()) || !field.getValue().isNumber()) continue;
                series.computeIfAbsent(field.getKey(), k -> new ArrayList<>()).add(new double[]{at, field.getValue().asDouble()});
            }
        }
        if (series.isEmpty()) throw new MesascopeException(name + " has no per-layer scores");
        String title = String.join(" · ", List.of(root.path("probe").asText("probe"), root.path("hook").asText(""),
                root.path("metric").asText(""), name));
        List<LayerChart.Series> lines = new ArrayList<>();
        series.forEach((key, points) -> lines.add(new LayerChart.Series(key,
                points.stream().mapToInt(p -> (int) p[0]).toArray(), points.stream().mapToDouble(p -> p[1]).toArray(), null)));
        // accuracies and AUCs on a 0–1 axis, as the reports draw them; other scores (R², selectivity) fit their data
        boolean unit = series.values().stream().flatMap(List::stream).allMatch(p -> p[1] >= 0 && p[1] <= 1);
        JFreeChart chart = LayerChart.of(root.path("metric").asText("score") + " per layer", "layer", "score", lines,
                unit, null, null);
        return new Curves(title, List.of(new Panel("", "", chart, series)));
    }

    /** A scan report: per heuristic, the per-row evidence of the model and of its control twin. */
    private static Curves scan(JsonNode root, String name) {
        List<Panel> panels = new ArrayList<>();
        String model = root.path("model").asText("model"), control = root.path("control").asText("control");
        for (JsonNode row : root.get("rows")) {
            String heuristic = row.path("heuristic").asText();
            if (!row.path("model").isObject()) continue; // skipped: the data did not allow it
            Map<String, List<double[]>> series = new LinkedHashMap<>();
            series.put(model, points(row.path("model").path("per_row")));
            if (row.path("control").isObject()) series.put(control + " (control)", points(row.path("control").path("per_row")));
            StringBuilder text = new StringBuilder(score(model, row.path("model")));
            if (row.path("control").isObject()) text.append(" · ").append(score(control, row.path("control")));
            text.append(" · ").append(row.path("score_meaning").asText("")).append(" · per row: ")
                    .append(row.path("model").path("per_row_meaning").asText(""));
            Map<String, double[]> values = new LinkedHashMap<>();
            series.forEach((key, points) -> values.put(key, points.stream().mapToDouble(p -> p[1]).toArray()));
            panels.add(new Panel(heuristic, text.toString(), Charts.perRow(heuristic, "lens row",
                    row.path("model").path("per_row_meaning").asText("value"), values, false), series));
        }
        if (panels.isEmpty()) throw new MesascopeException(name + ": every heuristic of the scan was skipped");
        return new Curves("scan · " + root.path("suite").asText("") + " · " + model
                + (root.path("control").isTextual() ? " vs " + control : "") + " · " + name, panels);
    }

    private static List<double[]> points(JsonNode perRow) {
        List<double[]> out = new ArrayList<>();
        for (int i = 0; i < perRow.size(); i++) out.add(new double[]{i, perRow.get(i).asDouble(Double.NaN)});
        return out;
    }

    private static String score(String who, JsonNode finding) {
        JsonNode s = finding.path("score");
        return String.format(Locale.ROOT, "%s %.3f [%.3f, %.3f]", who, s.path("value").asDouble(Double.NaN),
                s.path("low").asDouble(Double.NaN), s.path("high").asDouble(Double.NaN));
    }

    public void show(Curves curves) {
        this.curves = curves;
        caption.setText(curves.title());
        panel.getItems().setAll(curves.panels().stream().map(Panel::name).toList());
        panel.setVisible(curves.panels().size() > 1);
        if (panel.getValue() != null && panel.getItems().contains(panel.getValue())) showPanel();
        else panel.setValue(panel.getItems().getFirst());
    }

    /** Shows the scan heuristic called {@code name}. */
    public void showPanel(String name) {
        panel.setValue(name);
    }

    private void showPanel() {
        if (curves == null || panel.getValue() == null) return;
        Panel p = curves.panels().stream().filter(x -> x.name().equals(panel.getValue())).findFirst().orElseThrow();
        panelCaption.setText(p.caption());
        panelCaption.setVisible(!p.caption().isEmpty());
        panelCaption.setManaged(!p.caption().isEmpty());
        chart.setChart(p.chart());
    }

    /** The chart in view. */
    public JFreeChart chart() {
        return chart.getChart();
    }
}
