package org.mesascope.cli.demo;

import org.mesascope.probes.linear.CvOptions;
import org.mesascope.probes.linear.LayerActivations;
import org.mesascope.probes.linear.LinearProbes;
import org.mesascope.probes.linear.ProbeReport;

import java.util.List;

/** One per-layer logistic probe of the demo, on {@link DemoModel#PROBE_HOOK}: its rows, labels and options. */
record DemoProbe(List<LayerActivations> layers, int[] labels, List<String> labelNames, CvOptions options) {
    ProbeReport fit() {
        return LinearProbes.classify(DemoModel.PROBE_HOOK, layers, labels, labelNames, null, options);
    }

    /**
     * Fits the probes side by side, results in order. Each fit is single-threaded and independent of the others, so
     * spreading them over the cores cuts the demo's time and changes none of its numbers.
     */
    static List<ProbeReport> fitAll(List<DemoProbe> probes) {
        return probes.parallelStream().map(DemoProbe::fit).toList();
    }
}
