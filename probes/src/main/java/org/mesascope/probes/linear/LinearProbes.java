package org.mesascope.probes.linear;

import org.mesascope.core.MesascopeException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Fits one linear probe per layer with cross-validated regularization and collects them in a {@link ProbeReport}.
 * Every layer uses the same fold assignment, so layers are compared on the same held-out rows.
 */
public final class LinearProbes {
    /**
     * Mixed into the seed for the control task's draw: with the seed itself its random stream would be the fold
     * shuffle's, and the control labels would be correlated with the folds.
     */
    private static final long CONTROL_STREAM = 0x636f6e74726f6cL; // "control"

    private LinearProbes() {
    }

    /**
     * Logistic probes ({@link LogisticProbe#crossValidate}) per layer. {@code labels[i]} indexes {@code labelNames}.
     * With {@code controlTypes} (one type per row, e.g. the token id at the probed position; null for none) a
     * {@link ControlTask} is drawn once from the options' seed, and each layer's probe is cross-validated on it with
     * the C chosen for the real task and the same folds, giving the selectivity.
     *
     * @param hook the hook the rows came from, {@code {l}} standing for the layer number
     */
    public static ProbeReport classify(String hook, List<LayerActivations> layers, int[] labels,
                                       List<String> labelNames, int[] controlTypes, CvOptions options) {
        int rows = labels.length;
        checkLayers(layers, rows, "labels");
        Checks.folds(options.folds(), rows);
        int classes = Checks.labels(labels, labelNames, options.folds());
        Checks.grid("C", options.grid());
        int[] fold = Folds.stratified(labels, classes, options.folds(), options.seed());
        int[] control = null;
        int controlClasses = 0;
        if (controlTypes != null) {
            Checks.sameRows("control types", controlTypes.length, "labels", rows);
            control = ControlTask.labels(controlTypes, labels, options.seed() ^ CONTROL_STREAM);
            controlClasses = compact(control, classes);
        }
        List<ProbeReport.Layer> out = new ArrayList<>();
        for (LayerActivations layer : layers) {
            LogisticProbe.Result r = LogisticProbe.crossValidate(layer.rows(), labels, classes, options.grid(), fold,
                    options.folds());
            Double controlAccuracy = null, selectivity = null;
            if (control != null) {
                double[] byFold = LogisticProbe.scores(layer.rows(), control, controlClasses, new double[] {r.c()},
                        fold, options.folds()).accuracy()[0];
                controlAccuracy = Metrics.mean(byFold);
                selectivity = ControlTask.selectivity(r.meanAccuracy(), controlAccuracy);
            }
            out.add(new ProbeReport.Layer(layer.layer(), hookOf(hook, layer.layer()), rows, layer.rows()[0].length,
                    r.meanAccuracy(), r.stdAccuracy(), r.foldAccuracy(), r.c(), r.auc(), r.logLoss(), controlAccuracy,
                    selectivity, r.model().weight(), r.model().bias()));
        }
        return new ProbeReport("logistic", hook, classes == 2 ? "sigmoid" : "softmax", "accuracy", "C",
                List.copyOf(labelNames), options.folds(), options.seed(), out);
    }

    /** Ridge probes ({@link RidgeProbe#crossValidate}) per layer; {@code targets} is [N][outputs]. */
    public static ProbeReport regress(String hook, List<LayerActivations> layers, double[][] targets,
                                      List<String> targetNames, CvOptions options) {
        int rows = targets.length;
        checkLayers(layers, rows, "targets");
        int outputs = Checks.matrix("targets", targets);
        if (targetNames.size() != outputs) {
            throw new MesascopeException(targetNames.size() + " target names for " + outputs + " target columns");
        }
        Checks.folds(options.folds(), rows);
        Checks.grid("alpha", options.grid());
        int[] fold = Folds.kFold(rows, options.folds(), options.seed());
        List<ProbeReport.Layer> out = new ArrayList<>();
        for (LayerActivations layer : layers) {
            RidgeProbe.Result r = RidgeProbe.crossValidate(layer.rows(), targets, options.grid(), fold, options.folds());
            out.add(new ProbeReport.Layer(layer.layer(), hookOf(hook, layer.layer()), rows, layer.rows()[0].length,
                    r.meanR2(), r.stdR2(), r.foldR2(), r.alpha(), null, null, null, null, r.model().weight(),
                    r.model().bias()));
        }
        return new ProbeReport("ridge", hook, "identity", "r2", "alpha", List.copyOf(targetNames), options.folds(),
                options.seed(), out);
    }

    /** Validates every layer's rows (finite, one width, {@code n} of them) and that layer numbers are distinct. */
    private static void checkLayers(List<LayerActivations> layers, int n, String what) {
        if (layers == null || layers.isEmpty()) throw new MesascopeException("no layers to probe");
        Set<Integer> seen = new HashSet<>();
        for (LayerActivations layer : layers) {
            if (!seen.add(layer.layer())) throw new MesascopeException("layer " + layer.layer() + " is given twice");
            String name = "layer " + layer.layer() + " activations";
            Checks.matrix(name, layer.rows());
            Checks.sameRows(what, n, name, layer.rows().length);
        }
    }

    /**
     * Renumbers control labels to {@code 0..m-1} over the classes that occur (a class no type drew would have no rows)
     * and returns m.
     */
    private static int compact(int[] control, int classes) {
        int[] index = new int[classes];
        Arrays.fill(index, -1);
        int m = 0;
        for (int c : control) if (index[c] < 0) index[c] = m++;
        if (m < 2) throw new MesascopeException("the control task drew one label for every type; give more distinct types");
        for (int i = 0; i < control.length; i++) control[i] = index[control[i]];
        return m;
    }

    private static String hookOf(String template, int layer) {
        return template.replace("{l}", String.valueOf(layer));
    }
}
