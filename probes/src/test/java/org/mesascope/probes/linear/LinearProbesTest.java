package org.mesascope.probes.linear;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mesascope.core.io.SafetensorsFile;
import org.mesascope.core.io.WeightTensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mesascope.probes.linear.RidgeProbeTest.assertOneLine;

class LinearProbesTest {
    private static final String HOOK = "blocks.{l}.hook_resid_post";
    private static final List<String> NAMES = List.of("cat", "dog", "fish");

    /** Layer 0 is noise; in layer 2 the three classes sit at three corners (shift 3), both as float32 hooks deliver. */
    private record Data(List<LayerActivations> layers, int[] labels, int[] types, float[][] layer2) {
    }

    private static Data data() {
        SplittableRandom random = new SplittableRandom(9);
        int n = 240, d = 12;
        int[] labels = Synthetic.balancedLabels(random, n, 3), types = new int[n];
        float[][] noise = new float[n][d], signal = new float[n][d];
        for (int i = 0; i < n; i++) {
            types[i] = random.nextInt(60);
            for (int j = 0; j < d; j++) {
                noise[i][j] = (float) random.nextGaussian();
                signal[i][j] = (float) (random.nextGaussian() + (j == labels[i] ? 3 : 0) + 5);
            }
        }
        return new Data(List.of(LayerActivations.of(0, noise), LayerActivations.of(2, signal)), labels, types, signal);
    }

    @Test
    void reportsEveryLayerWithItsProbeInTheOriginalSpace() {
        Data data = data();
        ProbeReport report = LinearProbes.classify(HOOK, data.layers, data.labels, NAMES, data.types,
                LogisticProbe.defaults());
        assertEquals("softmax", report.readout());
        assertEquals(2, report.layers().size());
        ProbeReport.Layer noise = report.layers().get(0), signal = report.layers().get(1);
        assertEquals("blocks.2.hook_resid_post", signal.hook());
        assertEquals(3, signal.weight().length);
        assertEquals(12, signal.dim());
        assertEquals(240, signal.rows());
        assertTrue(signal.cvMean() > 0.9 && noise.cvMean() < 0.5, signal.cvMean() + " vs " + noise.cvMean());
        assertTrue(signal.selectivity() > noise.selectivity());
        // the same numbers as a direct cross-validation with the same folds
        double[][] x = data.layers.get(1).rows();
        LogisticProbe.Result direct = LogisticProbe.crossValidate(x, data.labels, 3, LogisticProbe.defaults());
        assertEquals(direct.c(), signal.regularization());
        assertArrayEquals(direct.foldAccuracy(), signal.cvFolds());
        assertArrayEquals(direct.model().bias(), signal.bias());
        // and the reported readout applies to the raw activations
        double[][] logP = LogisticProbe.logProbabilities(new Affine(signal.weight(), signal.bias()), x);
        int correct = 0;
        for (int i = 0; i < x.length; i++) if (LogisticProbe.argmax(logP[i]) == data.labels[i]) correct++;
        assertTrue(correct > 0.95 * x.length, correct + " of " + x.length + " training rows");
    }

    @Test
    void floatAndFlatInputsEqualTheDoubleRows() {
        Data data = data();
        float[] flat = new float[data.layer2.length * 12];
        for (int i = 0; i < data.layer2.length; i++) System.arraycopy(data.layer2[i], 0, flat, i * 12, 12);
        double[][] fromFlat = LayerActivations.of(2, flat, 12).rows();
        assertEquals(data.layer2.length, fromFlat.length);
        for (int i = 0; i < fromFlat.length; i++) assertArrayEquals(data.layers.get(1).rows()[i], fromFlat[i]);
        assertOneLine(() -> LayerActivations.of(1, new float[10], 3), "layer 1: 10 values are not rows of width 3");
    }

    @Test
    void jsonCarriesTheRecord() throws Exception {
        Data data = data();
        ProbeReport report = LinearProbes.classify(HOOK, data.layers, data.labels, NAMES, null, LogisticProbe.defaults());
        JsonNode root = new JsonMapper().readTree(report.toJson());
        assertEquals("logistic", root.get("probe").asText());
        assertEquals(HOOK, root.get("hook").asText());
        assertEquals("C", root.get("regularization_parameter").asText());
        assertEquals("dog", root.get("label_names").get(1).asText());
        JsonNode layer = root.get("layers").get(1);
        ProbeReport.Layer expected = report.layers().get(1);
        assertEquals(expected.cvMean(), layer.get("cv_mean").asDouble());
        assertEquals(expected.regularization(), layer.get("regularization").asDouble());
        assertEquals(expected.weight()[2][5], layer.get("weight").get(2).get(5).asDouble());
        assertEquals(3, layer.get("auc").size());
        assertTrue(layer.has("log_loss"));
        assertTrue(!layer.has("selectivity") && !layer.has("control_accuracy"), "no control task, no selectivity");
    }

    @Test
    void safetensorsExportRoundTrips(@TempDir Path dir) throws Exception {
        Data data = data();
        ProbeReport report = LinearProbes.classify(HOOK, data.layers, data.labels, NAMES, data.types,
                LogisticProbe.defaults());
        Path file = dir.resolve("probes.safetensors");
        report.writeSafetensors(file);
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertEquals(Set.of("layer.0.weight", "layer.0.bias", "layer.2.weight", "layer.2.bias"), st.names());
            for (ProbeReport.Layer layer : report.layers()) {
                WeightTensor w = st.tensor("layer." + layer.layer() + ".weight");
                WeightTensor b = st.tensor("layer." + layer.layer() + ".bias");
                assertArrayEquals(new int[] {3, 12}, w.shape());
                assertArrayEquals(new int[] {3}, b.shape());
                float[] wf = w.toFloatArray(), bf = b.toFloatArray();
                for (int r = 0; r < 3; r++) {
                    assertEquals((float) layer.bias()[r], bf[r]);
                    for (int j = 0; j < 12; j++) assertEquals((float) layer.weight()[r][j], wf[r * 12 + j]);
                }
            }
            assertEquals("logistic", st.metadata().get("probe"));
            assertEquals(HOOK, st.metadata().get("hook"));
            assertEquals("softmax", st.metadata().get("readout"));
            assertEquals("[\"cat\",\"dog\",\"fish\"]", st.metadata().get("label_names"));
            assertEquals("C", st.metadata().get("regularization_parameter"));
            JsonNode reg = new JsonMapper().readTree(st.metadata().get("regularization"));
            assertEquals(report.layers().get(1).regularization(), reg.get("2").asDouble());
        }
    }

    @Test
    void binaryProbesExportOneRow(@TempDir Path dir) {
        Data data = data();
        int[] binary = new int[data.labels.length];
        for (int i = 0; i < binary.length; i++) binary[i] = data.labels[i] == 0 ? 0 : 1;
        ProbeReport report = LinearProbes.classify(HOOK, data.layers.subList(1, 2), binary, List.of("cat", "other"), null,
                LogisticProbe.defaults());
        assertEquals("sigmoid", report.readout());
        report.writeSafetensors(dir.resolve("b.safetensors"));
        try (SafetensorsFile st = SafetensorsFile.open(dir.resolve("b.safetensors"))) {
            assertArrayEquals(new int[] {1, 12}, st.tensor("layer.2.weight").shape());
            assertArrayEquals(new int[] {1}, st.tensor("layer.2.bias").shape());
        }
    }

    @Test
    void ridgeProbesPerLayer() {
        Data data = data();
        double[][] targets = new double[data.labels.length][2];
        double[][] x = data.layers.get(1).rows();
        for (int i = 0; i < targets.length; i++) {
            targets[i][0] = x[i][0] - 2 * x[i][1];
            targets[i][1] = x[i][3];
        }
        ProbeReport report = LinearProbes.regress(HOOK, data.layers, targets, List.of("a", "b"), RidgeProbe.defaults());
        assertEquals("ridge", report.probe());
        assertEquals("r2", report.metric());
        ProbeReport.Layer noise = report.layers().get(0), signal = report.layers().get(1);
        assertTrue(signal.cvMean() > 0.99 && noise.cvMean() < 0.1, signal.cvMean() + " vs " + noise.cvMean());
        assertNull(signal.auc());
        assertEquals(1, signal.weight()[0][0], 0.01);
        assertEquals(-2, signal.weight()[0][1], 0.01);
        assertTrue(!report.toJson().contains("selectivity"));
    }

    @Test
    void badInputFailsWithOneLine() {
        Data data = data();
        int[] one = new int[240];
        assertOneLine(() -> LinearProbes.classify(HOOK, data.layers, one, NAMES, null, LogisticProbe.defaults()),
                "labels have one class ('cat')");
        assertOneLine(() -> LinearProbes.classify(HOOK, data.layers, new int[239], NAMES, null, LogisticProbe.defaults()),
                "239 labels for 240 rows of layer 0 activations");
        assertOneLine(() -> LinearProbes.classify(HOOK, data.layers, data.labels, NAMES, new int[3],
                LogisticProbe.defaults()), "3 control types for 240 rows of labels");
        double[][] nan = data.layers.get(1).rows().clone();
        nan[17] = nan[17].clone();
        nan[17][4] = Double.NaN;
        assertOneLine(() -> LinearProbes.classify(HOOK, List.of(new LayerActivations(5, nan)), data.labels, NAMES, null,
                LogisticProbe.defaults()), "layer 5 activations holds NaN at row 17, column 4");
        List<LayerActivations> twice = new ArrayList<>(data.layers);
        twice.add(data.layers.get(0));
        assertOneLine(() -> LinearProbes.classify(HOOK, twice, data.labels, NAMES, null, LogisticProbe.defaults()),
                "layer 0 is given twice");
        assertOneLine(() -> LinearProbes.classify(HOOK, data.layers, data.labels, List.of("cat", "dog"), null,
                LogisticProbe.defaults()), "is outside 0..1 (2 label names)");
        assertOneLine(() -> LinearProbes.classify(HOOK, data.layers, data.labels, NAMES, new int[240],
                LogisticProbe.defaults()), "the control task drew one label for every type");
    }
}
