package org.mesascope.ui;

import javafx.animation.PauseTransition;
import javafx.geometry.Insets;
import javafx.scene.control.Button;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.Slider;
import javafx.scene.control.Spinner;
import javafx.scene.control.TextArea;
import javafx.scene.control.TextField;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;
import javafx.stage.FileChooser;
import javafx.util.Duration;

import java.nio.file.Path;

import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * View 5: steering. An ActAdd vector (plus − minus prompts at a hook) or a saved one, a coefficient slider, and side by side the
 * greedy continuation and the lens heatmap without (coefficient 0) and with the steering. Moving the slider reruns
 * (after a short pause, so dragging does not queue a run per pixel).
 */
public final class SteeringView extends BorderPane {
    final ComboBox<String> hook = new ComboBox<>();
    final TextField plus = new TextField();
    final TextField minus = new TextField();
    final Slider coefficient = new Slider(-20, 20, 0);
    final Spinner<Integer> maxNew = new Spinner<>(1, 512, 10);
    /** A saved steering vector used instead of plus/minus, or null. */
    private Path vectorFile;
    private final Label vectorLabel = new Label("or");
    private final Button vectorButton = new Button("vector file…");
    private final Button actAddButton = new Button("use plus − minus");
    private final Label coefficientLabel = new Label();
    private final Label description = new Label();
    final TextArea unsteered = new TextArea();
    final TextArea steered = new TextArea();
    private final Heatmap lensBefore = new Heatmap();
    private final Heatmap lensAfter = new Heatmap();
    private final PauseTransition settle = new PauseTransition(Duration.millis(250));
    private final Consumer<Interventions.Request> runner;
    private Interventions.Result result;

    public SteeringView(Consumer<Interventions.Request> runner) {
        this.runner = runner;
        hook.setId("steerHook");
        plus.setId("steerPlus");
        minus.setId("steerMinus");
        coefficient.setId("steerCoefficient");
        maxNew.setId("steerMaxNew");
        unsteered.setId("unsteeredText");
        steered.setId("steeredText");
        lensBefore.setId("steerLensBefore");
        lensAfter.setId("steerLensAfter");
        description.setId("steerDescription");
        coefficient.setShowTickLabels(true);
        coefficient.setShowTickMarks(true);
        coefficient.setMajorTickUnit(5);
        coefficient.setBlockIncrement(0.5);
        coefficient.setPrefWidth(360);
        hook.setPrefWidth(240);
        for (TextArea a : List.of(unsteered, steered)) {
            a.setEditable(false);
            a.setWrapText(true);
            a.setPrefRowCount(3);
        }
        vectorButton.setId("steerVectorFile");
        actAddButton.setId("steerActAdd");
        actAddButton.setVisible(false);
        vectorButton.setOnAction(e -> {
            FileChooser chooser = new FileChooser();
            chooser.setTitle("Steering vector (safetensors from `mesascope steer --save-vector`)");
            chooser.getExtensionFilters().add(new FileChooser.ExtensionFilter("safetensors", "*.safetensors"));
            var f = chooser.showOpenDialog(getScene() == null ? null : getScene().getWindow());
            if (f != null) useVectorFile(f.toPath());
        });
        actAddButton.setOnAction(e -> useVectorFile(null));
        coefficientLabel.setMinWidth(50);
        HBox vectorRow = new HBox(8, new Label("hook"), hook, new Label("plus"), plus, new Label("minus"), minus,
                vectorLabel, vectorButton, actAddButton);
        HBox coefficientRow = new HBox(8, new Label("coefficient"), coefficient, coefficientLabel, new Label("new tokens"), maxNew);
        for (HBox row : List.of(vectorRow, coefficientRow)) row.setAlignment(javafx.geometry.Pos.CENTER_LEFT);
        VBox form = new VBox(6, vectorRow, coefficientRow, description);
        form.setPadding(new Insets(6));
        setTop(form);
        VBox left = column("unsteered (coefficient 0)", unsteered, lensBefore);
        VBox right = column("steered", steered, lensAfter);
        HBox sides = new HBox(8, left, right);
        HBox.setHgrow(left, Priority.ALWAYS);
        HBox.setHgrow(right, Priority.ALWAYS);
        setCenter(sides);
        coefficient.valueProperty().addListener((o, a, b) -> {
            coefficientLabel.setText(String.format(Locale.ROOT, "%.2f", b.doubleValue()));
            settle.playFromStart();
        });
        coefficientLabel.setText("0.00");
        settle.setOnFinished(e -> runner.accept(request()));
    }

    private static VBox column(String title, TextArea text, Heatmap lens) {
        VBox box = new VBox(4, new Label(title), text, lens);
        VBox.setVgrow(lens, Priority.ALWAYS);
        box.setPadding(new Insets(4));
        return box;
    }

    /** Steers with the vector saved in {@code file} (null: back to ActAdd of plus − minus), and reruns. */
    public void useVectorFile(Path file) {
        vectorFile = file;
        plus.setDisable(file != null);
        minus.setDisable(file != null);
        actAddButton.setVisible(file != null);
        vectorLabel.setText(file == null ? "or" : "vector " + file.getFileName());
        runner.accept(request());
    }

    /** Drops a rerun the slider has scheduled (the window is closing). */
    public void stop() {
        settle.stop();
    }

    /** Sets the coefficient and runs at once, without the pause a drag gets. */
    public void applyNow(double c) {
        coefficient.setValue(c);
        settle.stop();
        runner.accept(request());
    }

    public Interventions.Request request() {
        return new Interventions.Request(hook.getValue(), plus.getText(), minus.getText(), vectorFile, coefficient.getValue(),
                maxNew.getValue());
    }

    /** The hooks a model can be steered at, and a default vector for it. */
    public void setModel(List<String> steerableHooks, String defaultHook, String defaultPlus, String defaultMinus) {
        hook.getItems().setAll(steerableHooks);
        hook.setValue(defaultHook);
        if (plus.getText().isEmpty()) plus.setText(defaultPlus);
        if (minus.getText().isEmpty()) minus.setText(defaultMinus);
    }

    public Interventions.Result result() {
        return result;
    }

    public void show(Interventions.Result r) {
        this.result = r;
        unsteered.setText(r.unsteeredText());
        steered.setText(r.steeredText());
        description.setText("steering: " + r.steeringText());
        lensBefore.setData(LensView.data(r.unsteeredRun().lens(), LensView.Colour.TOP));
        lensAfter.setData(LensView.data(r.steeredRun().lens(), LensView.Colour.TOP));
        lensBefore.setHoverText((row, column) -> LensView.describe(r.unsteeredRun(), row, column));
        lensAfter.setHoverText((row, column) -> LensView.describe(r.steeredRun(), row, column));
    }
}
