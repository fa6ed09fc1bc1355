package org.mesascope.ui;

import org.mesascope.core.hooks.HookPoint;
import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.probes.lens.Lens;
import org.mesascope.probes.lens.LensReport;
import org.mesascope.probes.lens.LensRunner;
import org.mesascope.probes.lens.LogitLens;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleConsumer;

/**
 * Runs one prompt for the views: the probes library's {@link LensRunner} does the lens, and the same forward pass
 * carries extra sinks that keep the attention patterns and the attention/MLP outputs, so the views cost one pass.
 */
public final class PromptRunner {
    /**
     * Attention patterns kept at most (floats over all layers and heads, 1 GiB): GPT-2 small over 1024 tokens would
     * need 151 M. Above it, only the layers that fit are kept, from the first, and the attention view says so.
     */
    static final long PATTERN_FLOATS = 1L << 28;

    private PromptRunner() {
    }

    /**
     * @param lens       null for the logit lens
     * @param lensName   what the views call the lens
     * @param target     a token id every position is scored against, or null for each position's next input token
     * @param targetText what the views call that token (null with {@code target} null)
     * @param registry   interventions to run the pass under (steering), or an empty registry
     * @param progress   fraction of the pass done, called on the worker thread
     */
    public static PromptRun run(LoadedModel m, int[] tokens, Lens lens, String lensName, int topK, Integer target,
                                String targetText, HookRegistry registry, Cancellation cancellation, DoubleConsumer progress) {
        int layers = m.config().nLayers(), d = m.config().dModel(), length = tokens.length;
        float[][][] patterns = new float[layers][][];
        long perLayer = (long) m.config().nHeads() * length * length;
        int keptLayers = (int) Math.min(layers, PATTERN_FLOATS / Math.max(1, perLayer));
        double[][] attnOut = new double[layers][], mlpOut = new double[layers][];
        double[][][] residuals = new double[layers + 1][][];
        registry.addSink(HookPoint.everyLayer(HookPoint.Site.PATTERN), (hook, value, batch) -> {
            int heads = value.dim(1), l = hook.layer();
            if (l >= keptLayers) return;
            float[][] perHead = new float[heads][length * length];
            for (int h = 0; h < heads; h++) System.arraycopy(value.data(), h * length * length, perHead[h], 0, length * length);
            patterns[l] = perHead;
        }).addSink(HookPoint.everyLayer(HookPoint.Site.ATTN_OUT), (hook, value, batch) -> attnOut[hook.layer()] = norms(value.data(), length, d))
                .addSink(HookPoint.everyLayer(HookPoint.Site.MLP_OUT), (hook, value, batch) -> mlpOut[hook.layer()] = norms(value.data(), length, d))
                .addSink(HookPoint.everyLayer(HookPoint.Site.RESID_PRE), (hook, value, batch) -> residuals[hook.layer()] = rows(value.data(), length, d))
                .addSink(HookPoint.residPost(layers - 1).name(), (hook, value, batch) -> residuals[layers] = rows(value.data(), length, d));
        int total = m.model().hookNames().size();
        int[] seen = {0};
        cancellation.watch(registry, hook -> progress.accept(Math.min(1.0, ++seen[0] / (double) total)));
        Lens used = lens == null ? new LogitLens(m.model()) : lens;
        int[] targets = null;
        if (target != null) {
            targets = new int[length];
            java.util.Arrays.fill(targets, target);
        }
        LensReport report = LensRunner.run(used, m.model(), m.tokenizer(), m.name(), tokens, topK, targets, registry);
        cancellation.check();

        double[][] norm = new double[layers + 1][length], cosine = new double[layers + 1][length];
        for (int r = 0; r <= layers; r++) {
            for (int t = 0; t < length; t++) norm[r][t] = Math.sqrt(dot(residuals[r][t], residuals[r][t]));
        }
        for (int r = 0; r <= layers; r++) {
            for (int t = 0; t < length; t++) {
                cosine[r][t] = dot(residuals[r][t], residuals[layers][t]) / Math.max(1e-30, norm[r][t] * norm[layers][t]);
            }
        }
        List<String> texts = new ArrayList<>(length);
        for (LensReport.TokenInfo info : report.tokens()) texts.add(info.text());
        return new PromptRun(m.name(), lensName, targetText, tokens.clone(), List.copyOf(texts), report,
                m.config().nHeads(), patterns, norm, cosine,
                attnOut, mlpOut);
    }

    private static double[] norms(float[] x, int length, int d) {
        double[] out = new double[length];
        for (int t = 0; t < length; t++) {
            double s = 0;
            for (int i = 0; i < d; i++) s += (double) x[t * d + i] * x[t * d + i];
            out[t] = Math.sqrt(s);
        }
        return out;
    }

    private static double[][] rows(float[] x, int length, int d) {
        double[][] out = new double[length][d];
        for (int t = 0; t < length; t++) for (int i = 0; i < d; i++) out[t][i] = x[t * d + i];
        return out;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}
