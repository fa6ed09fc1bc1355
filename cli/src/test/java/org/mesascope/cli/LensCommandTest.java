package org.mesascope.cli;

import org.mesascope.cli.demo.DemoCheckpoint;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mesascope.core.io.SafetensorsFile;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LensCommandTest {
    private static final String PROMPT = "Hi there";
    private static final int T = PROMPT.length(), K = 3, VOCAB = DemoCheckpoint.DEMO.vocab();

    private static JsonNode lensJson() throws Exception {
        Cli.Result r = Cli.run("lens", "--model", Cli.demoModel().toString(), "--prompt", PROMPT, "--top", "" + K,
                "--format", "json", "--device", "cpu");
        assertEquals(0, r.exit(), r.err());
        assertEquals("", r.err());
        return JsonMapper.builder().build().readTree(r.out());
    }

    @Test
    void jsonHasTheKeysOfDesign() throws Exception {
        JsonNode root = lensJson();
        assertEquals(Set.of("model", "tokens", "rows"), fields(root));
        assertEquals(Cli.demoModel().toString(), root.get("model").textValue());
        assertEquals(T, root.get("tokens").size());
        for (int t = 0; t < T; t++) {
            JsonNode token = root.get("tokens").get(t);
            assertEquals(Set.of("id", "text"), fields(token));
            assertEquals(PROMPT.charAt(t), token.get("id").intValue());
            assertEquals(String.valueOf(PROMPT.charAt(t)), token.get("text").textValue());
        }

        JsonNode rows = root.get("rows");
        List<String> hooks = new ArrayList<>();
        for (JsonNode row : rows) hooks.add(row.get("hook").textValue());
        // L+1 rows: the residual entering each block, then the last block's output
        assertEquals(List.of("blocks.0.hook_resid_pre", "blocks.1.hook_resid_pre", "blocks.2.hook_resid_pre",
                "blocks.3.hook_resid_pre", "blocks.3.hook_resid_post"), hooks);
        for (JsonNode row : rows) {
            assertEquals(Set.of("hook", "positions"), fields(row));
            assertEquals(T, row.get("positions").size());
            for (int t = 0; t < T; t++) {
                JsonNode pos = row.get("positions").get(t);
                boolean last = t == T - 1;
                assertEquals(last ? Set.of("top", "entropy", "kl_to_final") : Set.of("top", "entropy", "kl_to_final", "target"),
                        fields(pos));
                assertEquals(K, pos.get("top").size());
                double previous = 1;
                for (JsonNode top : pos.get("top")) {
                    assertEquals(Set.of("id", "text", "prob"), fields(top));
                    assertTrue(top.get("prob").doubleValue() <= previous, "top tokens by falling probability");
                    previous = top.get("prob").doubleValue();
                }
                if (!last) {
                    JsonNode target = pos.get("target");
                    assertEquals(Set.of("id", "prob", "rank"), fields(target));
                    assertEquals(PROMPT.charAt(t + 1), target.get("id").intValue(), "the default target is the next token");
                }
            }
        }
    }

    /**
     * The last lens row is the model's own output: checked against the logits that {@code trace} saved, with the
     * softmax, entropy and top-k computed here in double precision.
     */
    @Test
    void lastRowIsTheModelsOutputDistribution(@TempDir Path tmp) throws Exception {
        Path trace = tmp.resolve("t.safetensors");
        assertEquals(0, Cli.run("trace", "--model", Cli.demoModel().toString(), "--prompt", PROMPT, "--hooks", "logits",
                "--out", trace.toString(), "--device", "cpu").exit());
        float[] logits;
        try (SafetensorsFile f = SafetensorsFile.open(trace)) {
            logits = f.tensor("logits").toFloatArray();
        }
        JsonNode last = lensJson().get("rows").get(4).get("positions");
        for (int t = 0; t < T; t++) {
            double max = Double.NEGATIVE_INFINITY, z = 0, entropy = 0;
            for (int v = 0; v < VOCAB; v++) max = Math.max(max, logits[t * VOCAB + v]);
            for (int v = 0; v < VOCAB; v++) z += Math.exp(logits[t * VOCAB + v] - max);
            double[] p = new double[VOCAB];
            for (int v = 0; v < VOCAB; v++) {
                p[v] = Math.exp(logits[t * VOCAB + v] - max) / z;
                entropy -= p[v] * Math.log(p[v]);
            }
            JsonNode pos = last.get(t);
            assertEquals(entropy, pos.get("entropy").doubleValue(), 1e-4);
            assertEquals(0, pos.get("kl_to_final").doubleValue(), 1e-6);
            for (JsonNode top : pos.get("top")) {
                int id = top.get("id").intValue();
                assertEquals(p[id], top.get("prob").doubleValue(), 1e-5);
                int rank = 1;
                for (int v = 0; v < VOCAB; v++) if (p[v] > p[id]) rank++;
                assertTrue(rank <= K, "token " + id + " listed in the top " + K + " has rank " + rank);
            }
        }
    }

    @Test
    void tableGoesToStdoutAndHtmlToTheOutFile(@TempDir Path tmp) throws Exception {
        Cli.Result table = Cli.run("lens", "--model", Cli.demoModel().toString(), "--prompt", PROMPT, "--device", "cpu");
        assertEquals(0, table.exit(), table.err());
        for (String hook : List.of("blocks.0.hook_resid_pre", "blocks.3.hook_resid_post")) {
            assertTrue(table.out().contains(hook), table.out());
        }

        Path html = tmp.resolve("lens.html");
        Cli.Result r = Cli.run("lens", "--model", Cli.demoModel().toString(), "--prompt", PROMPT, "--format", "html",
                "--out", html.toString(), "--device", "cpu");
        assertEquals(0, r.exit(), r.err());
        assertEquals("", r.out());
        assertEquals(List.of("wrote " + html), r.errLines());
        String page = Files.readString(html);
        assertTrue(page.contains("<html") && page.contains("blocks.3.hook_resid_post"));
        assertEquals(List.of("lens.html"), Cli.list(tmp));
    }

    @Test
    void jsonToAFileIsTheSameAsOnStdout(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("lens.json");
        Cli.Result r = Cli.run("lens", "--model", Cli.demoModel().toString(), "--prompt", PROMPT, "--top", "" + K,
                "--format", "json", "--out", out.toString(), "--device", "cpu");
        assertEquals(0, r.exit(), r.err());
        assertEquals(lensJson(), JsonMapper.builder().build().readTree(Files.readString(out)));
    }

    @Test
    void autoDeviceSaysOnceThatItRunsOnTheCpu() {
        Cli.Result r = Cli.run("lens", "--model", Cli.demoModel().toString(), "--tokens", "1,2,3");
        assertEquals(0, r.exit(), r.err());
        assertEquals(List.of(DeviceOptionTest.autoLine()), r.errLines());
        assertFalse(r.out().isEmpty());
    }

    private static Set<String> fields(JsonNode node) {
        Set<String> names = new HashSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
