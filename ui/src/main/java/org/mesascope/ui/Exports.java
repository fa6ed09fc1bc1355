package org.mesascope.ui;

import javafx.scene.Node;
import javafx.scene.SnapshotParameters;
import javafx.scene.image.PixelReader;
import javafx.scene.image.WritableImage;
import org.mesascope.probes.lens.LensHtml;
import org.mesascope.probes.patch.PatchingReport;
import org.mesascope.probes.report.ReportFiles;
import org.mesascope.probes.report.Html;
import org.mesascope.probes.report.HtmlPage;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writing what the app shows: a view as PNG, the session as the probes library's self-contained HTML. */
public final class Exports {
    private Exports() {
    }

    /** A heatmap view as SVG ({@link Heatmap#toSvg}). */
    public static void svg(Heatmap heatmap, Path file) throws IOException {
        createParent(file);
        Files.writeString(file, heatmap.toSvg(), StandardCharsets.UTF_8);
    }

    private static void createParent(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
    }

    /** A snapshot of {@code node} as PNG. Call on the FX thread. */
    public static void png(Node node, Path file) throws IOException {
        WritableImage image = node.snapshot(new SnapshotParameters(), null);
        int w = (int) image.getWidth(), h = (int) image.getHeight();
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_ARGB);
        PixelReader pixels = image.getPixelReader();
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) out.setRGB(x, y, pixels.getArgb(x, y));
        createParent(file);
        if (!ImageIO.write(out, "png", file.toFile())) throw new IOException("no PNG writer in this JVM");
    }

    /**
     * The session as one HTML page: the lens heatmap as the probes library draws it ({@link LensHtml#heatmap}), and
     * the steering's before/after continuations and lens heatmaps when one was run. A patching run is written beside it
     * as the probes library's own patching report (JSON, HTML, CSV, stem {@code <name>-patching}) and linked.
     */
    public static void session(PromptRun run, Interventions.Result steering, PatchingReport patching, Path file)
            throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        String stem = file.getFileName().toString().replaceFirst("\\.html?$", "").replaceAll("[^A-Za-z0-9_.-]", "_")
                + "-patching";
        if (patching != null) ReportFiles.write(patching, parent, stem);
        StringBuilder body = new StringBuilder();
        body.append("<h1>Mesascope session · ").append(Html.escape(run.modelName())).append("</h1>\n")
                .append("<p class=\"meta\">").append(Html.escape(run.lensName())).append(" · prompt of ")
                .append(run.length()).append(" tokens</p>\n<h2>Lens</h2>\n")
                .append(LensHtml.heatmap(run.lens(), t -> false));
        if (steering != null) {
            body.append("<h2>Steering</h2>\n<p class=\"meta\">").append(Html.escape(steering.steeringText())).append("</p>\n")
                    .append("<h3>Unsteered continuation</h3>\n<pre>").append(Html.escape(steering.unsteeredText())).append("</pre>\n")
                    .append("<h3>Steered continuation</h3>\n<pre>").append(Html.escape(steering.steeredText())).append("</pre>\n")
                    .append("<h3>Lens, unsteered</h3>\n").append(LensHtml.heatmap(steering.unsteeredRun().lens(), t -> false))
                    .append("<h3>Lens, steered</h3>\n").append(LensHtml.heatmap(steering.steeredRun().lens(), t -> false));
        }
        if (patching != null) {
            body.append("<h2>Activation patching</h2>\n<p class=\"meta\">").append(Html.escape(String.format(
                            java.util.Locale.ROOT, "%s of %s: clean %.3f, corrupted %.3f, %s", patching.metric(),
                            patching.answer().text(), patching.cleanMetric(), patching.corruptedMetric(), patching.direction())))
                    .append("</p>\n<p><a href=\"").append(Html.escape(stem)).append(".html\">the patching report</a>"
                            + " (JSON and CSV beside it)</p>\n");
        }
        Files.writeString(file, HtmlPage.of("Mesascope session · " + run.modelName(), LensHtml.CSS, body.toString()),
                StandardCharsets.UTF_8);
    }
}
