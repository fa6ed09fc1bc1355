package org.mesascope.cli.demo;

import org.mesascope.probes.lens.LensReport;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Where across the lens rows the answer at one position emerges: the probability the lens gives the token that
 * follows there (its target), row by row, and the first row from which that token stays the top-1.
 *
 * @param firstTop1 index of that row, or -1 when even the model's output (the last row) prefers another token
 */
record DemoAnswer(String token, List<String> hooks, double[] probabilities, int firstTop1) {
    static DemoAnswer at(LensReport lens, int position) {
        List<LensReport.Row> rows = lens.rows();
        String token = lens.tokens().get(position + 1).text();
        double[] p = new double[rows.size()];
        int first = -1;
        for (int r = 0; r < rows.size(); r++) {
            LensReport.Position at = rows.get(r).positions().get(position);
            p[r] = at.target().prob();
            boolean top1 = at.target().rank() == 1;
            if (!top1) first = -1;
            else if (first < 0) first = r;
        }
        return new DemoAnswer(token, rows.stream().map(LensReport.Row::hook).toList(), p, first);
    }

    /** {@code p("I") by lens row: 0.02 0.61 1.00; top-1 from blocks.1.hook_resid_pre on}. */
    String describe() {
        String ps = Arrays.stream(probabilities).mapToObj(x -> String.format(Locale.ROOT, "%.2f", x))
                .collect(Collectors.joining(" "));
        return "p(\"" + token + "\") by lens row: " + ps + "; "
                + (firstTop1 < 0 ? "never the top-1" : "top-1 from " + hooks.get(firstTop1) + " on");
    }
}
