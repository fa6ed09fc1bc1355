package org.mesascope.probes.lens;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A {@link LensReport} as a plain-text table for the terminal: one line per lens row (named by its hook), one column
 * per position with the row's top-1 token and its probability, and the row's mean KL to the final distribution.
 */
public final class LensTable {
    /** Code points of a token shown in a cell; longer texts end in "…". */
    static final int CELL_TEXT = 10;

    private LensTable() {
    }

    /** Every position. */
    public static String render(LensReport report) {
        return render(report, Integer.MAX_VALUE);
    }

    /**
     * At most {@code maxPositions} columns: the last ones, where the prompt's next-token prediction is. The mean KL
     * is over all positions either way.
     */
    public static String render(LensReport report, int maxPositions) {
        if (maxPositions < 1) throw new IllegalArgumentException("maxPositions must be at least 1, got " + maxPositions);
        int length = report.tokens().size();
        int first = Math.max(0, length - maxPositions);

        // grid[line][column]: two header lines (position, input token), then one line per lens row
        List<List<String>> grid = new ArrayList<>();
        List<String> positions = new ArrayList<>(List.of("position"));
        List<String> inputs = new ArrayList<>(List.of("input"));
        for (int t = first; t < length; t++) {
            positions.add(Integer.toString(t));
            inputs.add(TokenText.cell(report.tokens().get(t).text(), CELL_TEXT));
        }
        positions.add("mean KL");
        inputs.add("");
        grid.add(positions);
        grid.add(inputs);
        for (LensReport.Row row : report.rows()) {
            List<String> line = new ArrayList<>(List.of(row.hook()));
            for (int t = first; t < length; t++) {
                LensReport.Top top = row.positions().get(t).top().getFirst();
                line.add(TokenText.cell(top.text(), CELL_TEXT) + " " + String.format(Locale.ROOT, "%.2f", top.prob()));
            }
            line.add(String.format(Locale.ROOT, "%.3f", meanKl(row)));
            grid.add(line);
        }

        StringBuilder sb = new StringBuilder();
        sb.append("model ").append(TokenText.visible(report.model()))
                .append(" · cell: top-1 token and its probability · KL(final ‖ row) in nats");
        if (first > 0) sb.append(" · positions ").append(first).append("..").append(length - 1).append(" of ").append(length);
        sb.append('\n');
        int[] widths = widths(grid);
        for (List<String> line : grid) {
            StringBuilder out = new StringBuilder();
            for (int c = 0; c < line.size(); c++) {
                String cell = line.get(c);
                out.append(cell).append(" ".repeat(widths[c] - width(cell)));
                if (c < line.size() - 1) out.append("  ");
            }
            sb.append(out.toString().stripTrailing()).append('\n');
        }
        return sb.toString();
    }

    /** The mean of KL(final ‖ row) over the row's positions, in nats. */
    static double meanKl(LensReport.Row row) {
        return row.positions().stream().mapToDouble(LensReport.Position::klToFinal).average().orElse(0);
    }

    private static int[] widths(List<List<String>> grid) {
        int[] widths = new int[grid.getFirst().size()];
        for (List<String> line : grid) {
            for (int c = 0; c < line.size(); c++) widths[c] = Math.max(widths[c], width(line.get(c)));
        }
        return widths;
    }

    /** Terminal columns a cell takes, approximated by its code points (wide CJK glyphs take two; rare in tokens). */
    private static int width(String cell) {
        return cell.codePointCount(0, cell.length());
    }
}
