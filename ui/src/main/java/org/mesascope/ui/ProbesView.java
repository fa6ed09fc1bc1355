package org.mesascope.ui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.chart.LineChart;
import javafx.scene.chart.NumberAxis;
import javafx.scene.chart.XYChart;
import javafx.scene.control.Button;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.VBox;
import javafx.stage.FileChooser;
import org.mesascope.core.MesascopeException;

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

    /** One chart: per series name, its (x, y) points; {@code xLabel} says what x counts. */
    public record Panel(String name, String caption, String xLabel, Map<String, List<double[]>> series) {
    }

    /** What one report file shows: one panel (probe report) or one per heuristic (scan). */
    public record Curves(String title, List<Panel> panels) {
    }

    private final LineChart<Number, Number> chart;
    private final ComboBox<String> panel = new ComboBox<>();
    private final Label caption = new Label("Open a saved probe, CCS or scan report (JSON).");
    private final Label panelCaption = new Label();
    private Curves curves;

    public ProbesView(Consumer<Path> opener) {
        NumberAxis x = new NumberAxis(), y = new NumberAxis();
        x.setLabel("layer");
        y.setLabel("score");
        chart = new LineChart<>(x, y);
        chart.setId("probeChart");
        chart.setAnimated(false);
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
        return new Curves(title, List.of(new Panel("", "", "layer", series)));
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
            panels.add(new Panel(heuristic, text.toString(), "lens row", series));
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
        List<XYChart.Series<Number, Number>> all = new ArrayList<>();
        double last = 1;
        for (var e : p.series().entrySet()) {
            XYChart.Series<Number, Number> s = new XYChart.Series<>();
            s.setName(e.getKey());
            for (double[] point : e.getValue()) {
                if (Double.isFinite(point[1])) s.getData().add(new XYChart.Data<>(point[0], point[1]));
                last = Math.max(last, point[0]);
            }
            all.add(s);
        }
        chart.getData().setAll(all);
        NumberAxis x = (NumberAxis) chart.getXAxis();
        x.setLabel(p.xLabel());
        x.setAutoRanging(false);
        x.setLowerBound(0);
        x.setUpperBound(last);
        x.setTickUnit(Math.max(1, Math.ceil(last / 24.0)));
    }

    public LineChart<Number, Number> chart() {
        return chart;
    }
}
