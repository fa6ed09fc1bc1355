package org.mesascope.ui;

import javafx.geometry.Insets;
import javafx.scene.chart.LineChart;
import javafx.scene.chart.NumberAxis;
import javafx.scene.chart.XYChart;
import javafx.scene.control.Label;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;

import java.util.List;

/**
 * View 3: the residual stream. A heatmap of each lens row's cosine to the final residual (rows × positions, shares
 * the selection with the lens view), and for the selected position the residual norm per row and the norms of what
 * attention and the MLP add in each layer.
 */
public final class ResidualView extends BorderPane {
    private final Heatmap cosine = new Heatmap();
    private final LineChart<Number, Number> norms = chart("lens row (residual entering block; last: after the last block)", "L2 norm");
    private final LineChart<Number, Number> contributions = chart("layer", "L2 norm of the output");
    private final Label caption = new Label();
    private final Selection selection;
    private PromptRun run;

    public ResidualView(Selection selection) {
        this.selection = selection;
        cosine.setId("residualCosine");
        norms.setId("residualNorms");
        contributions.setId("residualContributions");
        caption.setId("residualCaption");
        caption.setPadding(new Insets(6));
        norms.setTitle("residual norm at the selected position");
        contributions.setTitle("attn_out and mlp_out norms at the selected position");
        HBox charts = new HBox(6, norms, contributions);
        HBox.setHgrow(norms, Priority.ALWAYS);
        HBox.setHgrow(contributions, Priority.ALWAYS);
        charts.setPrefHeight(260);
        VBox top = new VBox(caption);
        setTop(top);
        setCenter(cosine);
        setBottom(charts);
        cosine.selectedRowProperty().bindBidirectional(selection.rowProperty());
        cosine.selectedColumnProperty().bindBidirectional(selection.positionProperty());
        selection.positionProperty().addListener((o, a, b) -> showPosition());
        cosine.setHoverText((r, t) -> run == null ? "" : String.format(java.util.Locale.ROOT,
                "row %d · position %d %s · cosine to final %.4f · norm %.3f", r, t, LensView.quoted(run.tokenTexts().get(t)),
                run.cosineToFinal()[r][t], run.residualNorm()[r][t]));
    }

    private static LineChart<Number, Number> chart(String x, String y) {
        NumberAxis xAxis = new NumberAxis(), yAxis = new NumberAxis();
        xAxis.setLabel(x);
        yAxis.setLabel(y);
        xAxis.setForceZeroInRange(true);
        xAxis.setTickUnit(1);
        xAxis.setMinorTickVisible(false);
        LineChart<Number, Number> c = new LineChart<>(xAxis, yAxis);
        c.setAnimated(false);
        c.setCreateSymbols(true);
        return c;
    }

    /** Whole numbers 0..last on the x axis: rows and layers are counted, not measured. */
    private static void layerAxis(LineChart<Number, Number> chart, int last) {
        NumberAxis x = (NumberAxis) chart.getXAxis();
        x.setAutoRanging(false);
        x.setLowerBound(0);
        x.setUpperBound(Math.max(1, last));
        x.setTickUnit(Math.max(1, Math.ceil(last / 24.0)));
    }

    public Heatmap heatmap() {
        return cosine;
    }

    public void show(PromptRun run) {
        this.run = run;
        if (run == null) return;
        int rows = run.layers() + 1, t = run.length();
        double[] values = new double[rows * t];
        // cosine in [-1, 1] mapped onto the colour map's [0, 1]
        for (int r = 0; r < rows; r++) for (int p = 0; p < t; p++) values[r * t + p] = (run.cosineToFinal()[r][p] + 1) / 2;
        List<String> rowLabels = run.lens().rows().stream().map(r -> LensView.rowLabel(r.hook())).toList();
        cosine.setData(new Heatmap.Data(rows, t, values, null, rowLabels, run.tokenTexts()));
        cosine.setLegend("cos −1", "+1");
        layerAxis(norms, run.layers());
        layerAxis(contributions, run.layers() - 1);
        caption.setText("cosine of each row's residual to the final residual at the same position (colour: −1 dark … +1 light)");
        showPosition();
    }

    private void showPosition() {
        if (run == null) return;
        int p = Math.clamp(selection.position(), 0, run.length() - 1);
        XYChart.Series<Number, Number> norm = new XYChart.Series<>();
        norm.setName("‖resid‖ at position " + p);
        for (int r = 0; r <= run.layers(); r++) norm.getData().add(new XYChart.Data<>(r, run.residualNorm()[r][p]));
        norms.getData().setAll(List.of(norm));
        XYChart.Series<Number, Number> attn = new XYChart.Series<>(), mlp = new XYChart.Series<>();
        attn.setName("attn_out");
        mlp.setName("mlp_out");
        for (int l = 0; l < run.layers(); l++) {
            attn.getData().add(new XYChart.Data<>(l, run.attnOutNorm()[l][p]));
            mlp.getData().add(new XYChart.Data<>(l, run.mlpOutNorm()[l][p]));
        }
        contributions.getData().setAll(List.of(attn, mlp));
    }
}
