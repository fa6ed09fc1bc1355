package org.mesascope.probes.scan;


import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The heuristics that apply to a user's prompts, and the data they read. Suites whose ground truth comes from a task
 * (the model organisms') are built where the tasks live (org.mesascope.organisms.OrganismSuites) and handed to
 * {@link Scan} the same way.
 */
public final class ScanSuites {
    private ScanSuites() {
    }

    /**
     * A user's prompts. Lookahead at every position with a token two ahead (at most {@code examples} positions,
     * spread evenly over the prompts), refinement at each prompt's last token; with groups, the anomaly detector
     * fitted on half of the clean prompts and graded on the rest.
     *
     * @param suspect per prompt true for the suspect group, or null when the dataset has no groups
     */
    public static List<Heuristic> dataset(List<int[]> prompts, boolean[] suspect, int examples, long seed) {
        return dataset(prompts, suspect, List.of(), List.of(), examples, seed);
    }

    /**
     * As above; with groups and contrast pairs (each {@code positive.get(i)} on the side of the behaviour looked for,
     * {@code negative.get(i)} its twin on the other side, as in MacDiarmid et al. 2024), also the contrast probe,
     * graded on every grouped prompt (it needs no clean reference), and its two-sided variant, measured from the
     * anomaly detector's clean reference half and graded on the other prompts.
     */
    public static List<Heuristic> dataset(List<int[]> prompts, boolean[] suspect, List<int[]> positive,
                                          List<int[]> negative, int examples, long seed) {
        if (positive.size() != negative.size()) {
            throw new IllegalArgumentException(positive.size() + " positive and " + negative.size() + " negative contrast prompts");
        }
        List<int[]> seqs = new ArrayList<>();
        List<Integer> pos = new ArrayList<>();
        for (int[] p : prompts) for (int t = 0; t + Lookahead.OFFSET < p.length; t++) {
            seqs.add(p);
            pos.add(t);
        }
        List<Heuristic> out = new ArrayList<>();
        if (!seqs.isEmpty()) {
            int[] pick = IntStream.range(0, Math.min(examples, seqs.size()))
                    .map(i -> (int) ((long) i * seqs.size() / Math.min(examples, seqs.size()))).toArray();
            out.add(new Lookahead(new Probed(Arrays.stream(pick).mapToObj(seqs::get).toList(),
                    Arrays.stream(pick).map(pos::get).toArray(), null)));
        }
        out.add(new Refinement(new Probed(prompts, lastPositions(prompts), null)));
        if (suspect != null) {
            List<int[]> reference = new ArrayList<>(), graded = new ArrayList<>();
            List<Boolean> groups = new ArrayList<>();
            boolean toReference = true;
            for (int i = 0; i < prompts.size(); i++) {
                if (!suspect[i] && toReference) reference.add(prompts.get(i));
                else {
                    graded.add(prompts.get(i));
                    groups.add(suspect[i]);
                }
                if (!suspect[i]) toReference = !toReference;
            }
            boolean[] g = new boolean[groups.size()];
            for (int i = 0; i < g.length; i++) g[i] = groups.get(i);
            if (reference.size() >= 2 && groups.contains(true) && groups.contains(false)) {
                out.add(new AnomalyDetector(new Probed(reference, lastPositions(reference), null),
                        new Probed(graded, lastPositions(graded), g)));
            }
            if (!positive.isEmpty() && groups.contains(true) && groups.contains(false)) {
                Probed plus = new Probed(positive, lastPositions(positive), null);
                Probed minus = new Probed(negative, lastPositions(negative), null);
                String pairs = positive.size() + " contrast pairs from the dataset";
                out.add(new ContrastDetector(plus, minus, new Probed(prompts, lastPositions(prompts), suspect.clone()), pairs));
                if (reference.size() >= 2) {  // two-sided: measured from the anomaly detector's clean reference half
                    out.add(new ContrastDetector(plus, minus, new Probed(graded, lastPositions(graded), g),
                            new Probed(reference, lastPositions(reference), null), pairs));
                }
            }
        }
        return out;
    }

    public static int[] lastPositions(List<int[]> sequences) {
        return sequences.stream().mapToInt(s -> s.length - 1).toArray();
    }

    public static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
