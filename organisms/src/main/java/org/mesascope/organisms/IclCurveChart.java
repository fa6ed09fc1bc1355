package org.mesascope.organisms;

import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.mesascope.core.io.AtomicFile;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A vector organism's held-out error against the number of in-context examples (pairs seen before the prediction),
 * one line per predictor, as a PNG. A linear error axis: least squares reaches exactly 0 at D pairs, which a log axis
 * could not show; the model card's table carries the small numbers.
 */
final class IclCurveChart {
    static {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    private static final int WIDTH = 800, HEIGHT = 450;
    /** Tableau's first colours: the model first, in red, then the baselines. */
    private static final Color[] COLORS = {new Color(0xD6, 0x27, 0x28), new Color(0x1F, 0x77, 0xB4),
            new Color(0x2C, 0xA0, 0x2C), new Color(0xFF, 0x7F, 0x0E), new Color(0x94, 0x67, 0xBD), new Color(0x8C, 0x56, 0x4B)};

    private IclCurveChart() {
    }

    static void write(Path file, String title, List<IclEvaluation.ErrorCurve> curves) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (IclEvaluation.ErrorCurve c : curves) {
            XYSeries s = new XYSeries(c.name());
            for (int i = 0; i < c.error().size(); i++) s.add(i, c.error().get(i));
            data.addSeries(s);
        }
        NumberAxis context = new NumberAxis("in-context examples before the prediction (pairs seen)");
        context.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        context.setAutoRangeIncludesZero(true);
        NumberAxis error = new NumberAxis("held-out mean squared error");
        error.setAutoRangeIncludesZero(true);
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < curves.size(); i++) {
            r.setSeriesPaint(i, COLORS[i % COLORS.length]);
            r.setSeriesStroke(i, new BasicStroke(i == 0 ? 3f : 1.8f));
        }
        XYPlot plot = new XYPlot(data, context, error, r);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        try {
            AtomicFile.write(file, out -> ChartUtils.writeChartAsPNG(out, chart, WIDTH, HEIGHT));
        } catch (IOException e) {
            throw Gpt2Export.cannotWrite(file, e);
        }
    }
}
