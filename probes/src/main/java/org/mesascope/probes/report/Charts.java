package org.mesascope.probes.report;

import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;

/** Charts for reports, drawn off-screen with JFreeChart and embedded in HTML as PNG data URIs. */
public final class Charts {
    static {
        // charts are drawn off-screen; a DISPLAY that happens to be set must not matter (a value the user gave wins)
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    /** Tableau's first colours: distinct for the usual colour-blindness types and in greyscale by lightness. */
    private static final Color[] SERIES = {new Color(0x1F77B4), new Color(0xFF7F0E), new Color(0x2CA02C),
            new Color(0xD62728)};

    private Charts() {
    }

    /** {@code chart} as a PNG of {@code width} × {@code height} pixels, as a {@code data:image/png;base64,...} URI. */
    public static String pngDataUri(JFreeChart chart, int width, int height) {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        try {
            ChartUtils.writeChartAsPNG(png, chart, width, height);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail: a bug
        }
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(png.toByteArray());
    }

    /** One line of a per-layer score chart: {@code scores[i]} at layer {@code layers[i]}. */
    public record LayerLine(int[] layers, double[] scores) {
    }

    /**
     * A score per layer, one line per entry (legend: the map's keys, in its order), on a 0–1 axis with a dashed line
     * at {@code chance} (e.g. the majority class's share of the rows).
     */
    public static JFreeChart layerScores(String title, Map<String, LayerLine> lines, String layerAxis, String scoreAxis,
                                         double chance) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (Map.Entry<String, LayerLine> e : lines.entrySet()) {
            XYSeries s = new XYSeries(e.getKey());
            for (int i = 0; i < e.getValue().layers().length; i++) s.add(e.getValue().layers()[i], e.getValue().scores()[i]);
            data.addSeries(s);
        }
        NumberAxis layers = new NumberAxis(layerAxis);
        layers.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        // half a layer of room on either side, so that the first and last points are not on the frame
        layers.setRange(data.getDomainLowerBound(false) - 0.5, data.getDomainUpperBound(false) + 0.5);
        NumberAxis score = new NumberAxis(scoreAxis);
        score.setRange(0, 1.02);

        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < lines.size(); i++) {
            renderer.setSeriesPaint(i, SERIES[i % SERIES.length]);
            renderer.setSeriesStroke(i, new BasicStroke(2f));
        }
        XYPlot plot = new XYPlot(data, layers, score, renderer);
        ValueMarker chanceLine = new ValueMarker(chance, Color.GRAY, new BasicStroke(1f, BasicStroke.CAP_BUTT,
                BasicStroke.JOIN_MITER, 1f, new float[]{4f, 4f}, 0f));
        chanceLine.setLabel(String.format(Locale.ROOT, "chance %.2f", chance));
        chanceLine.setLabelAnchor(RectangleAnchor.BOTTOM_RIGHT);
        chanceLine.setLabelTextAnchor(TextAnchor.TOP_RIGHT);
        plot.addRangeMarker(chanceLine);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);

        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }
    /**
     * Lines of one value per lens row (or layer), one per series (legend: the map's keys, in order), x from 0; the
     * y axis spans the data, or [0, 1] when {@code unitRange}.
     */
    public static JFreeChart perRow(String title, String xLabel, String yLabel, Map<String, double[]> series,
                                    boolean unitRange) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (Map.Entry<String, double[]> e : series.entrySet()) {
            XYSeries s = new XYSeries(e.getKey());
            for (int r = 0; r < e.getValue().length; r++) s.add(r, e.getValue()[r]);
            data.addSeries(s);
        }
        NumberAxis x = new NumberAxis(xLabel);
        x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        x.setRange(data.getDomainLowerBound(false) - 0.5, data.getDomainUpperBound(false) + 0.5);
        NumberAxis y = new NumberAxis(yLabel);
        if (unitRange) y.setRange(0, 1.02);
        else y.setAutoRangeIncludesZero(true);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < series.size(); i++) {
            renderer.setSeriesPaint(i, SERIES[i % SERIES.length]);
            renderer.setSeriesStroke(i, new BasicStroke(2f));
        }
        XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }
}
