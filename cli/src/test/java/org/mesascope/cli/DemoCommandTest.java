package org.mesascope.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mesascope.core.io.SafetensorsFile;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DemoCommandTest {
    @Test
    void runsTraceAndLensOnTheBundledModelAndSaysItIsRandom(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("report");
        Cli.Result r = Cli.run("demo", "--out", dir.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals(List.of("device auto: no CUDA backend in this build, running on the CPU"), r.errLines());
        assertTrue(r.out().contains("this default model has RANDOM weights (deterministic, seed 0); trained model"
                + " organisms arrive with the model-organisms issue"), r.out());
        assertTrue(r.out().contains("blocks.3.hook_resid_post"), "the lens table is in the summary");
        assertTrue(r.out().contains(dir.resolve("report.html").toString()), "the summary says where the report is");

        assertEquals(List.of("lens.json", "report.html", "trace.safetensors"), Cli.list(dir));
        assertTrue(Files.readString(dir.resolve("report.html")).contains("<html"));
        try (SafetensorsFile trace = SafetensorsFile.open(dir.resolve("trace.safetensors"))) {
            assertEquals(28, trace.names().size(), "every hook of a 4-layer GPT-2");
            assertEquals("[79,110,99,101,32,117,112,111,110,32,97,32,116,105,109,101]", trace.metadata().get("tokens"));
        }
    }

    /** The committed checkpoint is exactly what the generator writes, so it cannot drift from its description. */
    @Test
    void committedCheckpointEqualsARegeneratedOne(@TempDir Path tmp) throws Exception {
        DemoCheckpoint.write(tmp);
        for (String name : DemoCheckpoint.FILES) {
            assertArrayEquals(Files.readAllBytes(Cli.demoModel().resolve(name)), Files.readAllBytes(tmp.resolve(name)),
                    name + " differs from a regenerated one: rerun DemoCheckpoint (see models/demo-random-gpt2/README.md)");
        }
        assertEquals(List.of("README.md", "config.json", "model.safetensors", "tokenizer.json"), Cli.list(Cli.demoModel()));
        long bytes = 0;
        for (String name : Cli.list(Cli.demoModel())) bytes += Files.size(Cli.demoModel().resolve(name));
        assertTrue(bytes < 1_000_000, "the demo checkpoint stays under 1 MB, got " + bytes);
    }

    @Test
    void tokenizerIsOneTokenPerByte() {
        Cli.Result r = Cli.run("generate", "--model", Cli.demoModel().toString(), "--prompt", "é\t<|endoftext|>",
                "--max-new", "1", "--ids", "--device", "cpu");
        assertEquals(0, r.exit(), r.err());
        // é is two UTF-8 bytes, the tab one, and the special token its own id
        assertTrue(r.out().startsWith("195,169,9,256,"), r.out());
    }
}
