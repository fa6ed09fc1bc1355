package org.mesascope.ui;

import javafx.geometry.Insets;
import javafx.scene.control.Label;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.fx.ChartViewer;
import org.mesascope.probes.report.Charts;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * View 3: the residual stream. A heatmap of each lens row's cosine to the final residual (rows × positions, shares
 * the selection with the lens view), and for the selected position the residual norm per row and the norms of what
 * attention and the MLP add in each layer.
 */
public final class ResidualView extends BorderPane {
    private final Heatmap cosine = new Heatmap();
    private final ChartViewer norms = new ChartViewer(null);
    private final ChartViewer contributions = new ChartViewer(null);
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

    /** The residual-norm chart at the selected position. */
    public JFreeChart normChart() {
        return norms.getChart();
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
        caption.setText("cosine of each row's residual to the final residual at the same position (colour: −1 dark … +1 light)");
        showPosition();
    }

    private void showPosition() {
        if (run == null) return;
        int p = Math.clamp(selection.position(), 0, run.length() - 1);
        double[] norm = new double[run.layers() + 1];
        for (int r = 0; r <= run.layers(); r++) norm[r] = run.residualNorm()[r][p];
        double[] attn = new double[run.layers()], mlp = new double[run.layers()];
        for (int l = 0; l < run.layers(); l++) {
            attn[l] = run.attnOutNorm()[l][p];
            mlp[l] = run.mlpOutNorm()[l][p];
        }
        String token = LensView.quoted(run.tokenTexts().get(p));
        norms.setChart(Charts.perRow("residual norm at position " + p + " " + token,
                "lens row (the residual entering each block, then after the last)", "L2 norm", Map.of("‖resid‖", norm), false));
        Map<String, double[]> outputs = new LinkedHashMap<>();
        outputs.put("attn_out", attn);
        outputs.put("mlp_out", mlp);
        contributions.setChart(Charts.perRow("what each layer adds at position " + p + " " + token, "layer",
                "L2 norm", outputs, false));
    }
}
