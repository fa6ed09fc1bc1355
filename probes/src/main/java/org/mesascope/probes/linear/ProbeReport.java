package org.mesascope.probes.linear;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.jfree.chart.JFreeChart;
import org.mesascope.core.io.AtomicFile;
import org.mesascope.core.io.SafetensorsWriter;
import org.mesascope.probes.report.Charts;
import org.mesascope.probes.report.Html;
import org.mesascope.probes.report.HtmlPage;
import org.mesascope.probes.report.Report;
import org.mesascope.probes.report.Table;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Linear probes fitted per layer (see {@link LinearProbes}): for each layer the cross-validated score, the chosen
 * regularization, the selectivity when a control task was given, and the probe itself as an affine readout of the
 * original (unstandardized) activations: {@code scores = weight x + bias}.
 *
 * @param probe "logistic" or "ridge"
 * @param hook the hook the rows came from, {@code {l}} standing for the layer (e.g. {@code blocks.{l}.hook_resid_post})
 * @param readout how scores become predictions: "sigmoid" (binary: {@code P(labelNames[1] | x) = sigmoid(score)}, one
 *        output), "softmax" (one output per label) or "identity" (ridge: one output per target)
 * @param metric the cross-validated score: "accuracy" or "r2"
 * @param regularizationParameter "C" (logistic; smaller is stronger) or "alpha" (ridge; larger is stronger)
 * @param labelNames class names (logistic) or target names (ridge)
 *
 * <p>As a {@link Report} (kind "probe"): the JSON record below, one table ({@code layers}: a row per layer) and an
 * HTML page with the per-layer score chart.
 */
public record ProbeReport(String probe, String hook, String readout, String metric,
                          @JsonProperty("regularization_parameter") String regularizationParameter,
                          @JsonProperty("label_names") List<String> labelNames, int folds, long seed,
                          List<Layer> layers) implements Report {

    /**
     * One layer's probe. {@code cvFolds} are the held-out scores at the chosen regularization, {@code cvMean} and
     * {@code cvStd} (population) their summary. Logistic probes add the out-of-fold one-vs-rest AUC per label and the
     * log-loss (nats); with a control task, its cross-validated accuracy at the same C and folds and the selectivity.
     * {@code weight} is [outputs][dim], {@code bias} [outputs].
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Layer(int layer, String hook, int rows, int dim,
                        @JsonProperty("cv_mean") double cvMean, @JsonProperty("cv_std") double cvStd,
                        @JsonProperty("cv_folds") double[] cvFolds, double regularization, double[] auc,
                        @JsonProperty("log_loss") Double logLoss,
                        @JsonProperty("control_accuracy") Double controlAccuracy, Double selectivity,
                        double[][] weight, double[] bias) {
    }

    // AtomicFile forces the file to disk after the content is written, so Jackson must leave the stream open
    private static final ObjectMapper MAPPER = JsonMapper.builder().disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET).build();

    @Override
    public String kind() {
        return "probe";
    }

    @Override
    public String toJson() {
        try {
            return MAPPER.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e); // records of strings, numbers and arrays always serialize: a bug
        }
    }

    /**
     * One row per layer: the cross-validated score (mean, population std over folds), the chosen regularization, and
     * for logistic probes the one-vs-rest AUC per label (out of fold), the log-loss and, with a control task, its
     * accuracy and the selectivity.
     */
    @Override
    public List<Table> tables() {
        boolean logistic = probe.equals("logistic");
        boolean control = layers.stream().anyMatch(l -> l.controlAccuracy != null);
        List<String> columns = new ArrayList<>(List.of("layer", "hook", "rows", "dim", "cv_" + metric, "cv_std",
                regularizationParameter));
        if (logistic) {
            for (String name : labelNames) columns.add("auc_" + name);
            columns.add("log_loss");
        }
        if (control) columns.addAll(List.of("control_accuracy", "selectivity"));
        List<List<Object>> rows = new ArrayList<>();
        for (Layer l : layers) {
            List<Object> row = new ArrayList<>(List.of(l.layer, l.hook, l.rows, l.dim, l.cvMean, l.cvStd, l.regularization));
            if (logistic) {
                for (int c = 0; c < labelNames.size(); c++) row.add(l.auc == null ? null : l.auc[c]);
                row.add(l.logLoss);
            }
            if (control) {
                row.add(l.controlAccuracy);
                row.add(l.selectivity);
            }
            rows.add(row);
        }
        return List.of(new Table("layers", columns, rows));
    }

    /** The chart of the cross-validated score per layer (± std over folds; the control task's accuracy beside it). */
    @Override
    public String toHtml() {
        int[] layerNumbers = new int[layers.size()];
        double[] mean = new double[layers.size()], std = new double[layers.size()], control = new double[layers.size()];
        boolean hasControl = false;
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            layerNumbers[i] = l.layer;
            mean[i] = l.cvMean;
            std[i] = l.cvStd;
            if (l.controlAccuracy != null) {
                control[i] = l.controlAccuracy;
                hasControl = true;
            }
        }
        List<LayerChart.Series> series = new ArrayList<>();
        series.add(new LayerChart.Series(probe + " probe (± std over folds)", layerNumbers, mean, std));
        if (hasControl) series.add(new LayerChart.Series("control task (Hewitt & Liang)", layerNumbers, control, null));
        boolean accuracy = metric.equals("accuracy");
        String title = "Linear probe per layer: " + probe;
        String chart = Charts.pngDataUri(LayerChart.of(title, "layer (" + hook + ")", "cross-validated " + metric,
                series, accuracy, accuracy ? null : 0.0, accuracy ? null : "R² 0 (the mean)"), 760, 380);
        String labels = String.join(", ", labelNames);
        StringBuilder body = new StringBuilder();
        body.append("<h1>").append(Html.escape(title)).append("</h1>\n");
        body.append("<p class=\"meta\">").append(Html.escape(String.format(Locale.ROOT,
                "%s on %s · %s · %d-fold cross-validation (seed %d), %s chosen per layer · %s: %s", probe, hook,
                readout, folds, seed, regularizationParameter, probe.equals("ridge") ? "targets" : "labels", labels)))
                .append("</p>\n");
        body.append("<p>Each layer's probe is fitted on the rows standardized within each training fold; the score is"
                + " the mean over held-out folds at the regularization that scored best. The probe directions, as"
                + " readouts of the raw activations, are in the JSON record and the safetensors export.")
                .append(hasControl ? " The control task gives each token type a random label (Hewitt &amp; Liang"
                        + " 2019); selectivity is the probe's accuracy minus the control's." : "")
                .append("</p>\n");
        body.append("<img alt=\"").append(Html.escape(title)).append("\" src=\"").append(chart).append("\">\n");
        for (Table t : tables()) body.append(t.toHtml());
        return HtmlPage.of(title + " · " + hook, Table.CSS, body.toString());
    }

    /** Writes {@link #toJson()} to {@code file} atomically. */
    public void writeJson(Path file) throws IOException {
        AtomicFile.write(file, out -> MAPPER.writeValue(out, this));
    }

    /**
     * Writes the probes as float32 safetensors, atomically: {@code layer.{l}.weight} [outputs, dim] and
     * {@code layer.{l}.bias} [outputs] per layer, and metadata {@code probe}, {@code hook}, {@code readout},
     * {@code label_names} (a JSON list), {@code regularization_parameter} and {@code regularization} (a JSON object
     * from layer to value). In Python: {@code safetensors.numpy.load_file(path)}; scores are {@code x @ W.T + b}.
     */
    public void writeSafetensors(Path file) {
        Map<String, Double> regularization = new LinkedHashMap<>();
        for (Layer l : layers) regularization.put(String.valueOf(l.layer), l.regularization);
        try (SafetensorsWriter w = SafetensorsWriter.create(file)) {
            for (Layer l : layers) {
                float[] weight = new float[l.weight.length * l.dim];
                for (int r = 0; r < l.weight.length; r++) {
                    for (int j = 0; j < l.dim; j++) weight[r * l.dim + j] = (float) l.weight[r][j];
                }
                float[] bias = new float[l.bias.length];
                for (int r = 0; r < bias.length; r++) bias[r] = (float) l.bias[r];
                w.add("layer." + l.layer + ".weight", weight, l.weight.length, l.dim);
                w.add("layer." + l.layer + ".bias", bias, bias.length);
            }
            w.metadata("probe", probe).metadata("hook", hook).metadata("readout", readout)
                    .metadata("label_names", json(labelNames))
                    .metadata("regularization_parameter", regularizationParameter)
                    .metadata("regularization", json(regularization));
            w.commit();
        }
    }

    private static String json(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The cross-validated score of each layer's probe, one line per report (legend: the map's keys, in its order), on
     * a 0–1 axis with a dashed line at {@code chance} (e.g. the majority class's share of the rows).
     */
    public static JFreeChart scoresChart(String title, Map<String, ProbeReport> reports, double chance) {
        Map<String, Charts.LayerLine> lines = new LinkedHashMap<>();
        for (Map.Entry<String, ProbeReport> e : reports.entrySet()) {
            List<Layer> layers = e.getValue().layers();
            lines.put(e.getKey(), new Charts.LayerLine(layers.stream().mapToInt(Layer::layer).toArray(),
                    layers.stream().mapToDouble(Layer::cvMean).toArray()));
        }
        ProbeReport first = reports.values().iterator().next();
        return Charts.layerScores(title, lines, "layer (" + first.hook() + ")", "cross-validated " + first.metric(), chance);
    }
}
