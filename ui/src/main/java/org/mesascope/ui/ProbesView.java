package org.mesascope.ui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import javafx.geometry.Insets;
import javafx.scene.chart.LineChart;
import javafx.scene.chart.NumberAxis;
import javafx.scene.chart.XYChart;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.stage.FileChooser;
import org.mesascope.core.MesascopeException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * View 4: per-layer curves from a saved report with a {@code layers} array (probe.json of {@code mesascope probe},
 * ccs.json, ...): every per-layer score (cross-validated accuracy, control accuracy, selectivity, ...) as a line.
 */
public final class ProbesView extends BorderPane {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** Per-layer fields that describe the fit rather than score it. */
    private static final Set<String> NOT_SCORES = Set.of("layer", "rows", "dim", "regularization", "log_loss", "cv_std");

    /** One report's curves: per score name, the (layer, value) points. */
    public record Curves(String title, Map<String, List<double[]>> series) {
    }

    private final LineChart<Number, Number> chart;
    private final Label caption = new Label("Open a saved probe or CCS report (JSON with a per-layer 'layers' array).");

    public ProbesView(Consumer<Path> opener) {
        NumberAxis x = new NumberAxis(), y = new NumberAxis();
        x.setLabel("layer");
        y.setLabel("score");
        chart = new LineChart<>(x, y);
        chart.setId("probeChart");
        chart.setAnimated(false);
        caption.setId("probeCaption");
        Button open = new Button("Open report…");
        open.setId("openProbeReport");
        open.setOnAction(e -> {
            FileChooser chooser = new FileChooser();
            chooser.getExtensionFilters().add(new FileChooser.ExtensionFilter("report JSON", "*.json"));
            var f = chooser.showOpenDialog(getScene() == null ? null : getScene().getWindow());
            if (f != null) opener.accept(f.toPath());
        });
        HBox bar = new HBox(8, open, caption);
        bar.setPadding(new Insets(6));
        setTop(bar);
        setCenter(chart);
    }

    /** Reads the curves of a saved report (off the FX thread). */
    public static Curves read(Path file) throws IOException {
        JsonNode root = JSON.readTree(file.toFile());
        JsonNode layers = root.path("layers");
        if (!layers.isArray() || layers.isEmpty()) {
            throw new MesascopeException(file.getFileName() + " has no per-layer 'layers' array; open a probe or CCS report");
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
        if (series.isEmpty()) throw new MesascopeException(file.getFileName() + " has no per-layer scores");
        String title = root.path("probe").asText(root.path("kind").asText("report")) + " · " + root.path("hook").asText("")
                + " · " + root.path("metric").asText("") + " · " + file.getFileName();
        return new Curves(title, series);
    }

    public void show(Curves curves) {
        caption.setText(curves.title());
        List<XYChart.Series<Number, Number>> all = new ArrayList<>();
        curves.series().forEach((name, points) -> {
            XYChart.Series<Number, Number> s = new XYChart.Series<>();
            s.setName(name);
            for (double[] p : points) s.getData().add(new XYChart.Data<>(p[0], p[1]));
            all.add(s);
        });
        chart.getData().setAll(all);
        double last = curves.series().values().stream().flatMap(List::stream).mapToDouble(p -> p[0]).max().orElse(1);
        NumberAxis x = (NumberAxis) chart.getXAxis();
        x.setAutoRanging(false);
        x.setLowerBound(0);
        x.setUpperBound(Math.max(1, last));
        x.setTickUnit(Math.max(1, Math.ceil(last / 24.0)));
    }

    public LineChart<Number, Number> chart() {
        return chart;
    }
}
