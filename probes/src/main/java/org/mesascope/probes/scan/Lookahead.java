package org.mesascope.probes.scan;

import org.mesascope.core.model.LanguageModel;
import org.mesascope.probes.linear.Affine;
import org.mesascope.probes.linear.CvOptions;
import org.mesascope.probes.linear.LogisticProbe;
import org.mesascope.probes.linear.Standardizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Lookahead probes (after Pal et al. 2023, "Future Lens"): is the token {@value #OFFSET} positions ahead, one beyond the
 * token the model is about to write, linearly decodable from the residual stream at the examined position? A model
 * that plans (in the search organism: the first step of the path while it is still writing the start node) carries
 * it before it needs it.
 * <p>
 * Per lens row a multinomial logistic probe is fitted on a training split (70% of each label's examples, C chosen by 5-fold CV on it from
 * {0.01, 0.1, 1}, features standardized on it) and scored on the held-out 30%. The control probe is the same fit on
 * labels permuted across the training rows (a probe that can only memorize), scored on the same held-out rows. Score:
 * at the row where the real probe's held-out accuracy is highest, that accuracy minus the control probe's; the
 * interval bootstraps the held-out rows. Choosing the row on the held-out rows makes the score slightly optimistic;
 * the control probe's accuracy is chosen the same way, so the difference is not.
 * Labels seen fewer than {@value #MIN_COUNT} times in the data are dropped with their examples (cross-validation needs them in every
 * fold).
 */
public final class Lookahead implements Heuristic {
    public static final int OFFSET = 2;
    static final int MIN_COUNT = 8;
    public static final CvOptions OPTIONS = LogisticProbe.defaults().withGrid(CvOptions.logGrid(-2, 0, 3));

    private final Probed data;
    private final CvOptions options;

    public Lookahead(Probed data) {
        this(data, OPTIONS);
    }

    /** With another C grid; a grid of one value is used as is, without cross-validation (faster). */
    public Lookahead(Probed data, CvOptions options) {
        this.data = data;
        this.options = options;
    }

    @Override
    public String name() {
        return "lookahead";
    }

    @Override
    public String scoreMeaning() {
        return "held-out accuracy of a linear probe for the token " + OFFSET + " ahead, minus a permuted-label control"
                + " probe's, at the best lens row";
    }

    @Override
    public Finding run(String modelName, LanguageModel model, long seed) {
        // labels: the token OFFSET ahead of each examined position; rare ones dropped
        Map<Integer, Integer> counts = new TreeMap<>();
        for (int i = 0; i < data.size(); i++) {
            int at = data.positions()[i] + OFFSET;
            if (at < data.sequences().get(i).length) counts.merge(data.sequences().get(i)[at], 1, Integer::sum);
        }
        List<Integer> classes = counts.entrySet().stream().filter(e -> e.getValue() >= MIN_COUNT).map(Map.Entry::getKey).toList();
        if (classes.size() < 2) {
            throw new NotApplicable("fewer than 2 distinct tokens " + OFFSET + " ahead occur " + MIN_COUNT + " times or more");
        }
        List<Integer> kept = new ArrayList<>();
        List<Integer> labelList = new ArrayList<>();
        for (int i = 0; i < data.size(); i++) {
            int at = data.positions()[i] + OFFSET;
            if (at >= data.sequences().get(i).length) continue;
            int c = classes.indexOf(data.sequences().get(i)[at]);
            if (c >= 0) {
                kept.add(i);
                labelList.add(c);
            }
        }
        int n = kept.size();
        int[] labels = labelList.stream().mapToInt(Integer::intValue).toArray();
        SplittableRandom random = new SplittableRandom(seed);
        // a stratified 70/30 split: every class keeps at least 6 training rows, as 5-fold CV needs
        List<Integer> trainList = new ArrayList<>(), testList = new ArrayList<>();
        for (int c = 0; c < classes.size(); c++) {
            List<Integer> members = new ArrayList<>();
            for (int i : shuffled(n, random)) if (labels[i] == c) members.add(i);
            int k = (int) Math.round(0.7 * members.size());
            trainList.addAll(members.subList(0, k));
            testList.addAll(members.subList(k, members.size()));
        }
        int[] train = trainList.stream().mapToInt(Integer::intValue).sorted().toArray();
        int[] test = testList.stream().mapToInt(Integer::intValue).sorted().toArray();
        int nTrain = train.length;
        int[] trainLabels = pick(labels, train), testLabels = pick(labels, test);
        int[] permuted = trainLabels.clone();
        for (int i = permuted.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1), t = permuted[i];
            permuted[i] = permuted[j];
            permuted[j] = t;
        }

        double[][][] rows = ResidualRows.collect(model, subset(kept));
        double[] accuracy = new double[rows.length], control = new double[rows.length];
        boolean[][] correct = new boolean[rows.length][];
        int best = 0;
        for (int r = 0; r < rows.length; r++) {
            double[][] xTrain = pick(rows[r], train), xTest = pick(rows[r], test);
            Standardizer s = Standardizer.fit(xTrain);
            double[][] zTrain = s.apply(xTrain), zTest = s.apply(xTest);
            correct[r] = predictCorrect(zTrain, trainLabels, zTest, testLabels, classes.size(), options);
            accuracy[r] = fraction(correct[r]);
            control[r] = fraction(predictCorrect(zTrain, permuted, zTest, testLabels, classes.size(), options));
            if (accuracy[r] > accuracy[best]) best = r;
        }
        double[] diff = new double[test.length];
        for (int i = 0; i < diff.length; i++) diff[i] = (correct[best][i] ? 1 : 0) - control[best];
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("best_row", best);
        details.put("probe_accuracy", accuracy);
        details.put("control_probe_accuracy", control);
        details.put("classes", classes.size());
        details.put("train_examples", nTrain);
        details.put("test_examples", test.length);
        details.put("majority_rate", majority(testLabels, classes.size()));
        return new Finding(name(), modelName, Bootstrap.mean(diff, seed), accuracy,
                "held-out probe accuracy for the token " + OFFSET + " ahead", details);
    }

    private static boolean[] predictCorrect(double[][] zTrain, int[] yTrain, double[][] zTest, int[] yTest, int classes,
                                            CvOptions options) {
        double c = options.grid().length == 1 ? options.grid()[0]
                : LogisticProbe.crossValidate(zTrain, yTrain, classes, options).c();
        Affine probe = LogisticProbe.fit(zTrain, yTrain, classes, c);
        double[][] logP = LogisticProbe.logProbabilities(probe, zTest);
        boolean[] ok = new boolean[yTest.length];
        for (int i = 0; i < ok.length; i++) {
            int arg = 0;
            for (int k = 1; k < logP[i].length; k++) if (logP[i][k] > logP[i][arg]) arg = k;
            ok[i] = arg == yTest[i];
        }
        return ok;
    }

    private Probed subset(List<Integer> kept) {
        List<int[]> seqs = new ArrayList<>();
        int[] pos = new int[kept.size()];
        for (int k = 0; k < kept.size(); k++) {
            seqs.add(data.sequences().get(kept.get(k)));
            pos[k] = data.positions()[kept.get(k)];
        }
        return new Probed(seqs, pos, null);
    }

    static int[] shuffled(int n, SplittableRandom random) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    static int[] pick(int[] v, int[] idx) {
        int[] out = new int[idx.length];
        for (int i = 0; i < idx.length; i++) out[i] = v[idx[i]];
        return out;
    }

    static double[][] pick(double[][] v, int[] idx) {
        double[][] out = new double[idx.length][];
        for (int i = 0; i < idx.length; i++) out[i] = v[idx[i]];
        return out;
    }

    public static double fraction(boolean[] b) {
        int k = 0;
        for (boolean x : b) if (x) k++;
        return (double) k / b.length;
    }

    private static double majority(int[] y, int classes) {
        int[] c = new int[classes];
        for (int v : y) c[v]++;
        return (double) Arrays.stream(c).max().orElse(0) / y.length;
    }
}
