package org.mesascope.ui;

import javafx.geometry.Insets;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;

import java.util.Locale;
import java.util.stream.IntStream;

/**
 * View 2: one head's attention pattern, queries (rows) × keys (columns), with token labels. The layer follows the
 * shared selection's row (for rows inside the model) and the selected query is the shared position.
 */
public final class AttentionView extends BorderPane {
    private final Heatmap heatmap = new Heatmap();
    private final ComboBox<Integer> layer = new ComboBox<>();
    private final ComboBox<Integer> head = new ComboBox<>();
    private final Label hover = new Label(" ");
    private final Selection selection;
    private PromptRun run;

    public AttentionView(Selection selection) {
        this.selection = selection;
        heatmap.setId("attentionHeatmap");
        layer.setId("attentionLayer");
        head.setId("attentionHead");
        hover.setId("attentionHover");
        HBox controls = new HBox(12, new Label("layer"), layer, new Label("head"), head,
                new Label("rows: query positions · columns: key positions · colour: attention probability"));
        controls.setPadding(new Insets(6));
        setTop(controls);
        setCenter(heatmap);
        hover.setPadding(new Insets(4, 6, 4, 6));
        setBottom(hover);
        layer.valueProperty().addListener((o, a, b) -> redraw());
        head.valueProperty().addListener((o, a, b) -> redraw());
        selection.rowProperty().addListener((o, a, b) -> {
            if (run != null && b.intValue() < run.layers()) layer.setValue(b.intValue());
        });
        heatmap.selectedRowProperty().bindBidirectional(selection.positionProperty());
        heatmap.setHoverText((q, k) -> run == null ? "" : String.format(Locale.ROOT,
                "layer %d head %d · query %d %s → key %d %s · %.4f", layer.getValue(), head.getValue(), q,
                LensView.quoted(run.tokenTexts().get(q)), k, LensView.quoted(run.tokenTexts().get(k)),
                run.attention(layer.getValue(), head.getValue(), q, k)));
        heatmap.hoverColumnProperty().addListener((o, a, b) -> {
            int q = heatmap.hoverRowProperty().get(), k = b.intValue();
            hover.setText(q < 0 || k < 0 ? " " : heatmap.hoverText(q, k));
        });
    }

    public Heatmap heatmap() {
        return heatmap;
    }

    public void select(int layerIndex, int headIndex) {
        layer.setValue(layerIndex);
        head.setValue(headIndex);
    }

    public void show(PromptRun run) {
        this.run = run;
        if (run == null) return;
        Integer l = layer.getValue(), h = head.getValue();
        layer.getItems().setAll(IntStream.range(0, run.layers()).boxed().toList());
        head.getItems().setAll(IntStream.range(0, run.heads()).boxed().toList());
        layer.setValue(l != null && l < run.layers() ? l : Math.min(selection.row(), run.layers() - 1));
        head.setValue(h != null && h < run.heads() ? h : 0);
        redraw();
    }

    private void redraw() {
        if (run == null || layer.getValue() == null || head.getValue() == null) return;
        int t = run.length();
        double[] values = new double[t * t];
        if (run.patterns()[layer.getValue()] == null) {
            heatmap.setData(null);
            hover.setText("layer " + layer.getValue() + "'s patterns were not kept: at " + t + " positions all layers would"
                    + " take more than 1 GiB; the layers before it are shown");
            return;
        }
        float[] p = run.patterns()[layer.getValue()][head.getValue()];
        for (int i = 0; i < values.length; i++) values[i] = p[i];
        java.util.List<String> queries = IntStream.range(0, t)
                .mapToObj(q -> q + "  " + run.tokenTexts().get(q).replace("\n", "⏎")).toList();
        heatmap.setData(new Heatmap.Data(t, t, values, null, queries, run.tokenTexts()));
    }
}
