package org.mesascope.ui;

import org.mesascope.core.hooks.HookPoint;
import javafx.geometry.Insets;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.RadioButton;
import javafx.scene.control.TextField;
import javafx.scene.control.ToggleGroup;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.VBox;
import org.mesascope.probes.lens.LensReport;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * View 1: the lens heatmap, lens rows × positions. Colour: the probability of the row's top token, or of the target
 * (the next input token); cell text: the top token; hover: the top-k with probabilities, entropy, KL to the final
 * distribution and the target. The logit/tuned switch asks the workbench to rerun the prompt with the other lens.
 */
public final class LensView extends BorderPane {
    public enum Colour {
        TOP("top-1 probability"), TARGET("target probability");

        private final String label;

        Colour(String label) {
            this.label = label;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    private final Heatmap heatmap = new Heatmap();
    private final Label hover = new Label(" ");
    private final Label caption = new Label();
    private final ComboBox<Colour> colour = new ComboBox<>();
    /** A token to score every cell against; empty for each position's next input token. */
    final TextField target = new TextField();
    final RadioButton logit = new RadioButton("logit lens");
    final RadioButton tuned = new RadioButton("tuned lens…");
    private PromptRun run;

    public LensView(Selection selection) {
        heatmap.setId("lensHeatmap");
        hover.setId("lensHover");
        caption.setId("lensCaption");
        colour.setId("lensColour");
        target.setId("lensTarget");
        target.setPromptText("next token");
        target.setPrefColumnCount(10);
        logit.setId("logitLens");
        tuned.setId("tunedLens");
        ToggleGroup lens = new ToggleGroup();
        logit.setToggleGroup(lens);
        tuned.setToggleGroup(lens);
        logit.setSelected(true);
        colour.getItems().setAll(Colour.values());
        colour.setValue(Colour.TOP);
        colour.valueProperty().addListener((o, a, b) -> show(run));
        HBox controls = new HBox(12, logit, tuned, new Label("colour:"), colour, new Label("target:"), target, caption);
        controls.setAlignment(javafx.geometry.Pos.CENTER_LEFT);
        controls.setPadding(new Insets(6));
        setTop(controls);
        setCenter(heatmap);
        hover.setWrapText(true);
        hover.setMinHeight(40);
        hover.setPadding(new Insets(4, 6, 4, 6));
        setBottom(new VBox(hover));
        heatmap.selectedRowProperty().bindBidirectional(selection.rowProperty());
        heatmap.selectedColumnProperty().bindBidirectional(selection.positionProperty());
        heatmap.hoverRowProperty().addListener((o, a, b) -> showHover());
        heatmap.hoverColumnProperty().addListener((o, a, b) -> showHover());
        heatmap.setHoverText(this::describe);
        // keyboard users get the same text for the selected cell
        heatmap.selectedRowProperty().addListener((o, a, b) -> showHover());
        heatmap.selectedColumnProperty().addListener((o, a, b) -> showHover());
    }

    public Heatmap heatmap() {
        return heatmap;
    }

    public void setColour(Colour c) {
        colour.setValue(c);
    }

    public void show(PromptRun run) {
        this.run = run;
        heatmap.setLegend("p 0", "1");
        if (run == null) {
            heatmap.setData(null);
            return;
        }
        heatmap.setData(data(run.lens(), colour.getValue()));
        showHover();
        caption.setText(run.lensName() + " · target: " + (run.targetText() == null ? "the next token" : quoted(run.targetText()))
                + " · " + run.modelName() + " · " + run.lens().rows().size() + " rows × "
                + run.length() + " positions");
    }

    /** The heatmap of a lens report: value = top-1 or target probability (0 where there is no target), text = top token. */
    public static Heatmap.Data data(LensReport report, Colour colour) {
        int rows = report.rows().size(), columns = report.tokens().size();
        double[] values = new double[rows * columns];
        String[] text = new String[rows * columns];
        List<String> rowLabels = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            LensReport.Row row = report.rows().get(r);
            rowLabels.add(rowLabel(row.hook()));
            for (int t = 0; t < columns; t++) {
                LensReport.Position p = row.positions().get(t);
                LensReport.Top top = p.top().getFirst();
                values[r * columns + t] = colour == Colour.TOP ? top.prob() : p.target() == null ? 0 : p.target().prob();
                text[r * columns + t] = top.text();
            }
        }
        List<String> columnLabels = report.tokens().stream().map(LensReport.TokenInfo::text).toList();
        return new Heatmap.Data(rows, columns, values, text, rowLabels, columnLabels);
    }

    /** "blocks.3.hook_resid_pre" → "3 resid_pre". */
    static String rowLabel(String hook) {
        return HookPoint.parse(hook).filter(p -> p.layer() >= 0)
                .map(p -> (p.layer() + "." + p.site().suffix()).replace(".hook_", " ")).orElse(hook);
    }

    /** The hovered cell's top-k, else the selected cell's. */
    private void showHover() {
        int r = heatmap.hoverRowProperty().get(), c = heatmap.hoverColumnProperty().get();
        if (r < 0 || c < 0) {
            r = heatmap.selectedRowProperty().get();
            c = heatmap.selectedColumnProperty().get();
        }
        boolean inside = run != null && r >= 0 && c >= 0 && r < run.lens().rows().size() && c < run.length();
        hover.setText(inside ? describe(r, c) : " ");
    }

    /** The hover text of a cell: the row, the position's token, top-k with probabilities, entropy, KL and the target. */
    public String describe(int row, int column) {
        return run == null ? "" : describe(run, row, column);
    }

    /** The hover text of one cell of {@code run}'s lens. */
    static String describe(PromptRun run, int row, int column) {
        LensReport.Row r = run.lens().rows().get(row);
        LensReport.Position p = r.positions().get(column);
        StringBuilder sb = new StringBuilder();
        sb.append(r.hook()).append(" · position ").append(column).append(" ")
                .append(quoted(run.tokenTexts().get(column))).append(" · top:");
        for (LensReport.Top top : p.top()) sb.append(String.format(Locale.ROOT, "  %s %.4f", quoted(top.text()), top.prob()));
        sb.append(String.format(Locale.ROOT, " · entropy %.3f nats · KL(final‖row) %.3f nats", p.entropy(), p.klToFinal()));
        if (p.target() != null) {
            String name = run.targetText() != null ? "target " + quoted(run.targetText())
                    : "next token " + quoted(run.lens().tokens().get(column + 1).text());
            sb.append(String.format(Locale.ROOT, " · %s p %.4f rank %d", name, p.target().prob(), p.target().rank()));
        }
        return sb.toString();
    }

    static String quoted(String s) {
        return "'" + s.replace("\n", "⏎") + "'";
    }
}
