package org.mesascope.probes.scan;

import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.model.LanguageModel;
import org.mesascope.probes.lens.LensRunner;

import java.util.List;

/**
 * The residual stream of each example at its examined position, at every lens row (DESIGN.md "Lens rows": row l &lt; L
 * is the residual entering block l, row L the last block's output): {@code [L+1][examples][d]}, in double. Examples
 * run in right-padded batches of {@value #BATCH}; padding is masked, so each row is what the example gives alone.
 */
public final class ResidualRows {
    public static final int BATCH = 64;

    private ResidualRows() {
    }

    public static double[][][] collect(LanguageModel model, Probed data) {
        int layers = model.config().nLayers(), d = model.config().dModel();
        List<String> hooks = LensRunner.rowHooks(layers);
        double[][][] rows = new double[layers + 1][data.size()][];
        for (int from = 0; from < data.size(); from += BATCH) {
            int to = Math.min(data.size(), from + BATCH), first = from;
            HookRegistry registry = new HookRegistry();
            for (int r = 0; r <= layers; r++) {
                double[][] row = rows[r];
                registry.addSink(hooks.get(r), (hook, value, batch) -> {
                    float[] v = value.data();
                    for (int b = 0; b < batch.size(); b++) {
                        int at = (b * batch.width() + data.positions()[first + b]) * d;
                        double[] x = new double[d];
                        for (int j = 0; j < d; j++) x[j] = v[at + j];
                        row[first + b] = x;
                    }
                });
            }
            model.forward(Batch.of(data.sequences().subList(from, to).toArray(int[][]::new)), registry);
        }
        return rows;
    }
}
