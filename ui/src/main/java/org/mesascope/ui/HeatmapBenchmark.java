package org.mesascope.ui;

import javafx.application.Platform;
import javafx.scene.Scene;
import javafx.scene.layout.StackPane;
import javafx.stage.Stage;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;

/**
 * How long a 12-layer × 1024-position lens heatmap takes to redraw (issue 8 asks for under 100 ms), measured as a
 * benchmark rather than a timed test: {@link Heatmap#redraw} (the Canvas commands) plus a snapshot of the canvas,
 * which makes JavaFX rasterize them, so the time covers pixels on screen, not just queued commands. Two layouts:
 * all 1024 columns in view (2 px cells, no text), and 64 px cells with token text (the columns in view). Run with
 * {@code java -Dglass.platform=Headless -Dprism.order=sw -cp ... org.mesascope.ui.HeatmapBenchmark [repeats]}.
 */
public final class HeatmapBenchmark {
    private HeatmapBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 50;
        int rows = 13, columns = 1024; // 12 layers: 12 resid_pre rows + the last resid_post, as a lens report has
        SplittableRandom random = new SplittableRandom(1);
        double[] values = new double[rows * columns];
        String[] text = new String[rows * columns];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextDouble();
            text[i] = " tok" + random.nextInt(50257);
        }
        List<String> rowLabels = new ArrayList<>(), columnLabels = new ArrayList<>();
        for (int r = 0; r < rows; r++) rowLabels.add(r + " resid_pre");
        for (int c = 0; c < columns; c++) columnLabels.add(" t" + c);
        Heatmap.Data data = new Heatmap.Data(rows, columns, values, text, rowLabels, columnLabels);

        CountDownLatch started = new CountDownLatch(1);
        Platform.startup(started::countDown);
        started.await();
        String[] report = new String[1];
        CountDownLatch done = new CountDownLatch(1);
        Platform.runLater(() -> {
            try {
                Heatmap map = new Heatmap();
                Stage stage = new Stage();
                StackPane root = new StackPane(map);
                stage.setScene(new Scene(root, Heatmap.ROW_LABEL_WIDTH + columns * Heatmap.MIN_CELL_WIDTH + 10, 600));
                stage.show();
                map.setData(data);
                root.layout();
                String all = time(map, repeats, "all 1024 columns in view (" + (int) map.canvas().getWidth() + "×"
                        + (int) map.canvas().getHeight() + " px canvas, 2 px cells)");
                stage.setWidth(1280);
                root.resize(1280, 600);
                map.resize(1280, 600);
                root.layout();
                String text64 = time(map, repeats, "64 px cells with token text, the columns in view ("
                        + (int) map.canvas().getWidth() + "×" + (int) map.canvas().getHeight() + " px canvas)");
                report[0] = all + "\n" + text64;
            } catch (RuntimeException e) {
                report[0] = "failed: " + Messages.oneLine(e);
            } finally {
                done.countDown();
            }
        });
        done.await();
        System.out.println("heatmap 13 rows (12 layers + final) × 1024 positions, redraw + rasterize (snapshot), "
                + repeats + " repeats after 10 warm-up, JavaFX " + System.getProperty("javafx.runtime.version")
                + ", prism " + System.getProperty("prism.order", "default") + ", Java " + Runtime.version());
        System.out.println(report[0]);
        Platform.exit();
    }

    private static String time(Heatmap map, int repeats, String what) {
        for (int i = 0; i < 10; i++) once(map);
        double[] ms = new double[repeats];
        for (int i = 0; i < repeats; i++) ms[i] = once(map);
        Arrays.sort(ms);
        return String.format(Locale.ROOT, "  %s: median %.1f ms, p90 %.1f ms, max %.1f ms", what, ms[repeats / 2],
                ms[(int) (repeats * 0.9)], ms[repeats - 1]);
    }

    private static double once(Heatmap map) {
        long start = System.nanoTime();
        map.redraw();
        map.canvas().snapshot(null, null);
        return (System.nanoTime() - start) / 1e6;
    }
}
