package org.mesascope.organisms;

import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnitSource;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.mesascope.core.io.AtomicFile;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.List;
import java.util.Locale;

/**
 * The training curve of a model card as a PNG: training loss (log scale, left) and held-out accuracy (right) per step;
 * for a vector organism, whose held-out measure is an error too, both on one linear error axis.
 */
final class TrainingCurveChart {
    static {
        // charts are drawn off-screen; a DISPLAY that happens to be set must not matter (a value the user gave wins)
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    private static final int WIDTH = 800, HEIGHT = 450;

    private TrainingCurveChart() {
    }

    static void write(Path file, String title, List<OrganismTrainer.CurvePoint> curve, boolean error) {
        XYSeries loss = new XYSeries(error ? "training loss (squared error per prediction, every x position)"
                : "training loss (nats per target token)");
        XYSeries accuracy = new XYSeries(error ? "held-out squared error at the query" : "held-out exact match");
        for (OrganismTrainer.CurvePoint p : curve) {
            if ((error || p.loss() > 0) && Double.isFinite(p.loss())) loss.add(p.step(), p.loss());
            if (!error || Double.isFinite(p.heldOut())) accuracy.add(p.step(), p.heldOut());
        }
        LogAxis lossAxis = new LogAxis("training loss (log scale)");
        lossAxis.setSmallestValue(1e-6);
        // ticks at whole powers of ten, written as plain numbers (0.001) rather than as 10^-3
        lossAxis.setStandardTickUnits(new NumberTickUnitSource(true));
        lossAxis.setMinorTickMarksVisible(true);
        lossAxis.setNumberFormatOverride(new DecimalFormat("0.#####", DecimalFormatSymbols.getInstance(Locale.ROOT)));
        NumberAxis accuracyAxis = new NumberAxis("held-out exact match");
        accuracyAxis.setRange(0, 1.02);
        NumberAxis stepAxis = new NumberAxis("step");
        stepAxis.setAutoRangeIncludesZero(true);

        // errors span less than a decade, where a log axis has no tick: a linear one from 0 then
        NumberAxis errorAxis = new NumberAxis("squared error");
        errorAxis.setAutoRangeIncludesZero(true);
        XYPlot plot = new XYPlot(new XYSeriesCollection(loss), stepAxis, error ? errorAxis : lossAxis,
                renderer(new Color(0xD6, 0x27, 0x28)));
        plot.setDataset(1, new XYSeriesCollection(accuracy));
        if (!error) {
            plot.setRangeAxis(1, accuracyAxis);
            plot.mapDatasetToRangeAxis(1, 1);
        }
        plot.setRenderer(1, renderer(new Color(0x1F, 0x77, 0xB4)));
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

    static XYLineAndShapeRenderer renderer(Color color) {
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
        r.setSeriesPaint(0, color);
        r.setSeriesStroke(0, new BasicStroke(2f));
        return r;
    }
}
