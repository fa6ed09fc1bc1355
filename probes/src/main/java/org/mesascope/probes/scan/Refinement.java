package org.mesascope.probes.scan;

import org.mesascope.core.model.LanguageModel;
import org.mesascope.core.tensor.Tensor;
import org.mesascope.probes.lens.Lens;
import org.mesascope.probes.lens.LogitLens;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Iterative refinement profile: how the model's prediction at the examined positions converges across depth, read
 * through a lens (the logit lens by default; a tuned lens when given). Per example:
 * <ul>
 *   <li>KL(final ‖ row) in nats at every lens row (the per-row evidence is its mean);</li>
 *   <li>prediction depth (after Baldock et al. 2021, with the lens's top-1 in place of their k-NN probe): the first
 *       row from which every later row's top-1 equals the final top-1, divided by the number of layers L, so 0 means
 *       "decided in the embedding" and 1 "decided only by the last block";</li>
 *   <li>suddenness: the largest drop of KL between consecutive rows as a fraction of the total drop from row 0 to the
 *       final row (1: all at one block; 1/L: evenly spread).</li>
 * </ul>
 * Score: the mean normalized prediction depth (a model that computes its answer through several serial steps, as a
 * search does, settles later than one that looks its answer up). The interval bootstraps the examples.
 */
public final class Refinement implements Heuristic {
    private final Probed data;
    private final Function<LanguageModel, Lens> lens;
    private final String lensName;

    /** With the logit lens. */
    public Refinement(Probed data) {
        this(data, LogitLens::new, "logit");
    }

    public Refinement(Probed data, Function<LanguageModel, Lens> lens, String lensName) {
        this.data = data;
        this.lens = lens;
        this.lensName = lensName;
    }

    /** "refinement" under the logit lens, "refinement-NAME" under another (e.g. refinement-tuned). */
    @Override
    public String name() {
        return lensName.equals("logit") ? "refinement" : "refinement-" + lensName;
    }

    @Override
    public String scoreMeaning() {
        return "mean prediction depth / L under the " + lensName + " lens (0: settled at the embedding, 1: only at the"
                + " last block)";
    }

    @Override
    public Finding run(String modelName, LanguageModel model, long seed) {
        double[][][] rows = ResidualRows.collect(model, data);
        int nRows = rows.length, n = data.size(), layers = nRows - 1, d = model.config().dModel();
        Lens l = lens.apply(model);
        // the final row first; then one row's log-probabilities at a time (n × vocab doubles), never all rows at once
        double[] finalLogProbs = rowLogProbs(l, layers, rows[layers], d);
        int vocab = finalLogProbs.length / n;
        double[][] kl = new double[n][nRows];
        int[][] top = new int[n][nRows];
        for (int r = 0; r < nRows; r++) {
            double[] logProbs = r == layers ? finalLogProbs : rowLogProbs(l, r, rows[r], d);
            for (int i = 0; i < n; i++) {
                kl[i][r] = kl(finalLogProbs, logProbs, i * vocab, vocab);
                top[i][r] = argmax(logProbs, i * vocab, vocab);
            }
        }
        double[] meanKl = new double[nRows], depth = new double[n], suddenness = new double[n];
        for (int i = 0; i < n; i++) {
            for (int r = 0; r < nRows; r++) meanKl[r] += kl[i][r] / n;
            int settled = layers;
            while (settled > 0 && top[i][settled - 1] == top[i][layers]) settled--;
            depth[i] = (double) settled / layers;
            double total = kl[i][0] - kl[i][layers], largest = 0;
            for (int r = 1; r < nRows; r++) largest = Math.max(largest, kl[i][r - 1] - kl[i][r]);
            suddenness[i] = total > 0 ? Math.min(1, largest / total) : 0;
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("lens", lensName);
        details.put("mean_suddenness", Bootstrap.mean(suddenness, seed + 1));
        details.put("examples", n);
        return new Finding(name(), modelName, Bootstrap.mean(depth, seed), meanKl, "mean KL(final ‖ row), nats",
                details);
    }

    private static double[] rowLogProbs(Lens lens, int row, double[][] residuals, int d) {
        int n = residuals.length;
        float[] flat = new float[n * d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) flat[i * d + j] = (float) residuals[i][j];
        Tensor logits = lens.logits(row, new Tensor(flat, n, d));
        return logSoftmax(logits.data(), n, logits.dim(1));
    }

    static double[] logSoftmax(float[] logits, int n, int vocab) {
        double[] out = new double[n * vocab];
        for (int i = 0; i < n; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < vocab; v++) max = Math.max(max, logits[i * vocab + v]);
            double sum = 0;
            for (int v = 0; v < vocab; v++) sum += Math.exp(logits[i * vocab + v] - max);
            double lse = max + Math.log(sum);
            for (int v = 0; v < vocab; v++) out[i * vocab + v] = logits[i * vocab + v] - lse;
        }
        return out;
    }

    /** KL(p ‖ q) = Σ p (log p − log q), from log-probabilities. */
    static double kl(double[] logP, double[] logQ, int offset, int vocab) {
        double s = 0;
        for (int v = 0; v < vocab; v++) {
            double lp = logP[offset + v];
            if (lp > Double.NEGATIVE_INFINITY) s += Math.exp(lp) * (lp - logQ[offset + v]);
        }
        return Math.max(0, s);
    }

    static int argmax(double[] x, int offset, int n) {
        int best = 0;
        for (int v = 1; v < n; v++) if (x[offset + v] > x[offset + best]) best = v;
        return best;
    }
}
