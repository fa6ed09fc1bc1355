package org.mesascope.probes.ccs;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.mesascope.core.io.SafetensorsWriter;
import org.mesascope.probes.linear.LayerChart;
import org.mesascope.probes.report.Charts;
import org.mesascope.probes.report.Html;
import org.mesascope.probes.report.HtmlPage;
import org.mesascope.probes.report.Report;
import org.mesascope.probes.report.Table;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * CCS fitted per layer ({@link CcsProbes}): per layer the training loss (and its consistency and confidence terms),
 * the final loss of every restart, and, when labelled pairs were held out, the held-out loss, the sign-agnostic
 * accuracy (as the paper reports), the accuracy with the probe's own sign, and the supervised logistic baseline's
 * accuracy on the same split. The probe itself: {@code p(x) = sigmoid(weight . (x - mean) / scale + bias)} with the
 * mean and scale of the half x belongs to.
 *
 * @param model        the model's name (null when not known)
 * @param testFraction the share of each label class held out (null without labels)
 * @param labelNames   the two label values (class 1: the positive half is true); empty without labels
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CcsReport(String probe, String model, String hook, CcsOptions options,
                        @JsonProperty("test_fraction") Double testFraction, int pairs,
                        @JsonProperty("train_pairs") int trainPairs, @JsonProperty("test_pairs") int testPairs,
                        @JsonProperty("label_names") List<String> labelNames, List<Layer> layers) implements Report {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Layer(int layer, String hook, int dim, double loss, double consistency, double confidence,
                        @JsonProperty("restart_losses") double[] restartLosses,
                        @JsonProperty("test_loss") Double testLoss, Double accuracy,
                        @JsonProperty("signed_accuracy") Double signedAccuracy,
                        @JsonProperty("logistic_accuracy") Double logisticAccuracy, double[] weight, double bias,
                        @JsonProperty("positive_mean") double[] positiveMean,
                        @JsonProperty("positive_scale") double positiveScale,
                        @JsonProperty("negative_mean") double[] negativeMean,
                        @JsonProperty("negative_scale") double negativeScale) {
    }

    private static final ObjectMapper JSON = JsonMapper.builder().build();

    @Override
    public String kind() {
        return "ccs";
    }

    @Override
    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e); // records of strings, numbers and arrays always serialize: a bug
        }
    }

    /** One row per layer. */
    @Override
    public List<Table> tables() {
        Table.Builder t = Table.builder("layers", "layer", "hook", "dim", "ccs_loss", "consistency", "confidence",
                "test_loss", "ccs_accuracy", "signed_accuracy", "logistic_accuracy");
        for (Layer l : layers) {
            t.row(l.layer, l.hook, l.dim, l.loss, l.consistency, l.confidence, l.testLoss, l.accuracy, l.signedAccuracy,
                    l.logisticAccuracy);
        }
        return List.of(t.build());
    }

    @Override
    public String toHtml() {
        String title = "CCS per layer" + (model == null ? "" : " · " + model);
        StringBuilder body = new StringBuilder();
        body.append("<h1>").append(Html.escape(title)).append("</h1>\n");
        body.append("<p class=\"meta\">").append(Html.escape(String.format(Locale.ROOT,
                "%s · %d contrast pairs, %d to train, %d held out · %d restarts × %d epochs of ArrayAdamW (lr %g, weight"
                        + " decay %g), seed %d", hook, pairs, trainPairs, testPairs, options.restarts(), options.epochs(),
                options.learningRate(), options.weightDecay(), options.seed()))).append("</p>\n");
        body.append("<p>Contrast-consistent search (Burns et al. 2022) trains a probe without labels so that each pair's"
                + " two halves get consistent probabilities (p(x+) ≈ 1 − p(x−)) and confident ones; each half is"
                + " normalized on its own first. Its accuracy on held-out labelled pairs is sign-agnostic, max(acc,"
                + " 1 − acc), as in the paper, since nothing tells CCS which end is true. The logistic baseline is"
                + " supervised: logistic regression on x+ − x− of the same training pairs.</p>\n");
        if (testPairs > 0) {
            int[] numbers = new int[layers.size()];
            double[] ccs = new double[layers.size()], logistic = new double[layers.size()];
            for (int i = 0; i < layers.size(); i++) {
                numbers[i] = layers.get(i).layer;
                ccs[i] = layers.get(i).accuracy;
                logistic[i] = layers.get(i).logisticAccuracy;
            }
            String chart = Charts.pngDataUri(LayerChart.of("Held-out accuracy per layer", "layer (" + hook + ")",
                    "held-out accuracy", List.of(new LayerChart.Series("CCS (sign-agnostic)", numbers, ccs, null),
                            new LayerChart.Series("logistic on x+ − x− (supervised)", numbers, logistic, null)),
                    true, 0.5, "chance 0.50"), 760, 380);
            body.append("<img alt=\"held-out accuracy per layer\" src=\"").append(chart).append("\">\n");
        } else {
            body.append("<p>No labelled pairs: no accuracy, only the losses.</p>\n");
        }
        for (Table t : tables()) body.append(t.toHtml());
        return HtmlPage.of(title, Table.CSS, body.toString());
    }

    /**
     * The probes as float32 safetensors: per layer {@code layer.{l}.weight} [1, d], {@code layer.{l}.bias} [1],
     * {@code layer.{l}.positive_mean} / {@code negative_mean} [d] and {@code layer.{l}.positive_scale} /
     * {@code negative_scale} [1]; metadata {@code probe}, {@code hook}, {@code readout} (the formula). Written
     * atomically.
     */
    public void writeSafetensors(Path file) {
        try (SafetensorsWriter w = SafetensorsWriter.create(file)) {
            for (Layer l : layers) {
                String p = "layer." + l.layer + ".";
                w.add(p + "weight", floats(l.weight), 1, l.weight.length);
                w.add(p + "bias", new float[]{(float) l.bias}, 1);
                w.add(p + "positive_mean", floats(l.positiveMean), l.positiveMean.length);
                w.add(p + "positive_scale", new float[]{(float) l.positiveScale}, 1);
                w.add(p + "negative_mean", floats(l.negativeMean), l.negativeMean.length);
                w.add(p + "negative_scale", new float[]{(float) l.negativeScale}, 1);
            }
            w.metadata("probe", "ccs").metadata("hook", hook).metadata("readout",
                    "p(x) = sigmoid(weight . (x - mean) / scale + bias) with the mean and scale of x's half;"
                            + " credence(x+ true) = (p(x+) + 1 - p(x-)) / 2");
            w.commit();
        }
    }

    private static float[] floats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return f;
    }
}
