package org.mesascope.ui;

import javafx.geometry.Insets;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.TextField;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.VBox;
import org.mesascope.probes.patch.PatchingReport;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * View 5, patching: activation patching (the probes library's {@code ActivationPatching}, denoising, logit
 * difference) of the current prompt against a corrupted prompt of the same length. The heatmap is hooks × positions,
 * colour and text the normalized score (patched − corrupted) / (clean − corrupted): 1 where patching that one site
 * restores the clean answer. Positions share the selection with the other views.
 */
public final class PatchingView extends BorderPane {
    /** What the user asked for: the prompts as typed, the answer the clean prompt leads to and the corrupted one's. */
    public record Request(String corrupted, String answer, String wrong) {
    }

    final TextField corrupted = new TextField();
    final TextField answer = new TextField();
    final TextField wrong = new TextField();
    final Button run = new Button("Patch");
    private final Label caption = new Label("Patch every (hook, position) of the corrupted run with the clean run's value.");
    private final Heatmap heatmap = new Heatmap();
    private PatchingReport report;

    public PatchingView(Selection selection, Consumer<Request> runner) {
        corrupted.setId("patchCorrupted");
        answer.setId("patchAnswer");
        wrong.setId("patchWrong");
        run.setId("patchRun");
        heatmap.setId("patchHeatmap");
        caption.setId("patchCaption");
        caption.setWrapText(true);
        corrupted.setPromptText("the prompt with one part changed, same number of tokens");
        corrupted.setPrefColumnCount(40);
        answer.setPrefColumnCount(8);
        wrong.setPrefColumnCount(8);
        GridPane form = new GridPane(8, 6);
        form.addRow(0, new Label("corrupted prompt"), corrupted, new Label("clean answer"), answer,
                new Label("corrupted answer"), wrong, run);
        VBox top = new VBox(6, form, caption);
        top.setPadding(new Insets(6));
        setTop(top);
        setCenter(heatmap);
        run.setOnAction(e -> runner.accept(new Request(corrupted.getText(), answer.getText(), wrong.getText())));
        heatmap.selectedColumnProperty().bindBidirectional(selection.positionProperty());
        heatmap.setHoverText((r, c) -> {
            if (report == null) return "";
            String hook = report.hooks().get(r);
            PatchingReport.PositionTokens t = report.tokens().get(c);
            Double score = report.score(hook, c);
            return String.format(Locale.ROOT, "%s · position %d clean %s corrupted %s · score %s", hook, c,
                    LensView.quoted(t.clean().text()), LensView.quoted(t.corrupted().text()),
                    score == null ? "-" : String.format(Locale.ROOT, "%.3f", score));
        });
    }

    public Heatmap heatmap() {
        return heatmap;
    }

    public PatchingReport report() {
        return report;
    }

    /** Suggested inputs for a model, when the fields are empty. */
    public void suggest(String corruptedPrompt, String answerToken, String wrongToken) {
        if (corrupted.getText().isEmpty()) corrupted.setText(corruptedPrompt);
        if (answer.getText().isEmpty()) answer.setText(answerToken);
        if (wrong.getText().isEmpty()) wrong.setText(wrongToken);
    }

    public void show(PatchingReport r) {
        this.report = r;
        int rows = r.hooks().size(), columns = r.tokens().size();
        double[] values = new double[rows * columns];
        String[] text = new String[rows * columns];
        for (int h = 0; h < rows; h++) {
            for (int p = 0; p < columns; p++) {
                Double score = r.score(r.hooks().get(h), p);
                values[h * columns + p] = score == null ? Double.NaN : score;
                text[h * columns + p] = score == null ? "" : String.format(Locale.ROOT, "%.2f", score);
            }
        }
        List<String> rowLabels = r.hooks().stream().map(LensView::rowLabel).toList();
        List<String> columnLabels = new ArrayList<>();
        for (PatchingReport.PositionTokens t : r.tokens()) {
            columnLabels.add(t.differs() ? t.clean().text() + "→" + t.corrupted().text() : t.clean().text());
        }
        heatmap.setData(new Heatmap.Data(rows, columns, values, text, rowLabels, columnLabels));
        heatmap.setLegend("score 0", "1");
        caption.setText(String.format(Locale.ROOT, "%s of %s vs %s: clean %.3f, corrupted %.3f · %s · %d forward passes"
                        + " · colour: score (patched − corrupted) / (clean − corrupted), clamped to [0, 1]", r.metric(),
                LensView.quoted(r.answer().text()), r.wrong() == null ? "-" : LensView.quoted(r.wrong().text()),
                r.cleanMetric(), r.corruptedMetric(), r.direction(), r.forwardPasses()));
    }
}
