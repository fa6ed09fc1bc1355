package org.mesascope.probes.patch;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.data.xy.DefaultXYZDataset;

import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.util.List;

/** Patching grids as heatmaps: rows × columns of values, coloured with a viridis-like map, drawn by JFreeChart. */
final class PatchingHeatmap {
    static {
        // drawn off-screen; a DISPLAY that happens to be set must not matter (a value the user gave wins)
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    private PatchingHeatmap() {
    }

    /**
     * Matplotlib's viridis sampled at 0, 0.1, ..., 1 and interpolated linearly between: perceptually uniform, readable
     * in greyscale and by the common colour-blindness types (dark purple = low, yellow = high).
     */
    static final class Viridis implements PaintScale {
        private static final int[] STOPS = {0x440154, 0x482475, 0x414487, 0x355F8D, 0x2A788E, 0x21918C, 0x22A884,
                0x44BF70, 0x7AD151, 0xBDDF26, 0xFDE725};
        private final double lo, hi;

        Viridis(double lo, double hi) {
            if (!(hi > lo)) throw new IllegalArgumentException("empty range [" + lo + ", " + hi + "]");
            this.lo = lo;
            this.hi = hi;
        }

        @Override
        public double getLowerBound() {
            return lo;
        }

        @Override
        public double getUpperBound() {
            return hi;
        }

        @Override
        public Paint getPaint(double value) {
            if (Double.isNaN(value)) return Color.LIGHT_GRAY;
            return color((value - lo) / (hi - lo));
        }

        /** The colour at {@code f} in [0, 1] (clamped). */
        static Color color(double f) {
            double x = Math.max(0, Math.min(1, f)) * (STOPS.length - 1);
            int i = Math.min(STOPS.length - 2, (int) Math.floor(x));
            double w = x - i;
            int a = STOPS[i], b = STOPS[i + 1];
            return new Color(mix(a >> 16, b >> 16, w), mix(a >> 8, b >> 8, w), mix(a, b, w));
        }

        private static int mix(int a, int b, double w) {
            return (int) Math.round((a & 0xFF) * (1 - w) + (b & 0xFF) * w);
        }
    }

    /**
     * @param values [rows][columns]; NaN cells are grey
     * @param rowLabels top to bottom
     * @param columnLabels left to right (plain text: drawn into the image, never parsed as markup)
     */
    static JFreeChart of(String title, List<String> rowLabels, List<String> columnLabels, double[][] values,
                         String valueLabel, double lo, double hi) {
        int rows = rowLabels.size(), cols = columnLabels.size();
        double[] x = new double[rows * cols], y = new double[rows * cols], z = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int i = r * cols + c;
                x[i] = c;
                y[i] = r;
                z[i] = values[r][c];
            }
        }
        DefaultXYZDataset data = new DefaultXYZDataset();
        data.addSeries(valueLabel, new double[][]{x, y, z});

        SymbolAxis columns = new SymbolAxis(null, columnLabels.toArray(String[]::new));
        columns.setVerticalTickLabels(cols > 6);
        columns.setGridBandsVisible(false);
        columns.setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        SymbolAxis rowAxis = new SymbolAxis(null, rowLabels.toArray(String[]::new));
        rowAxis.setInverted(true); // the first row (the earliest hook) at the top
        rowAxis.setGridBandsVisible(false);
        rowAxis.setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));

        Viridis scale = new Viridis(lo, hi);
        XYBlockRenderer renderer = new XYBlockRenderer();
        renderer.setPaintScale(scale);
        XYPlot plot = new XYPlot(data, columns, rowAxis, renderer);
        plot.setDomainGridlinesVisible(false);
        plot.setRangeGridlinesVisible(false);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setAxisOffset(RectangleInsets.ZERO_INSETS);

        JFreeChart chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 14), plot, false);
        NumberAxis legendAxis = new NumberAxis(valueLabel);
        legendAxis.setRange(lo, hi);
        PaintScaleLegend legend = new PaintScaleLegend(scale, legendAxis);
        legend.setPosition(RectangleEdge.RIGHT);
        legend.setMargin(4, 8, 4, 4);
        legend.setStripWidth(14);
        chart.addSubtitle(legend);
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    /** A size that gives each cell room for its label: [width, height] in pixels. */
    static int[] size(int rows, int cols, int longestRowLabel, int longestColumnLabel) {
        int width = 120 + 7 * longestRowLabel + Math.max(28, Math.min(60, 600 / Math.max(1, cols))) * cols;
        int height = 90 + 7 * (cols > 6 ? longestColumnLabel : 1) + Math.max(18, Math.min(40, 400 / Math.max(1, rows))) * rows;
        return new int[]{Math.min(2400, Math.max(420, width)), Math.min(2400, Math.max(220, height))};
    }
}
