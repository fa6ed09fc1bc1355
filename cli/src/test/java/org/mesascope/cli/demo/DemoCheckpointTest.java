package org.mesascope.cli.demo;

import org.mesascope.cli.Cli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** models/demo-random-gpt2, the random-weights GPT-2 that the command tests and {@code bench --shape demo} use. */
class DemoCheckpointTest {
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
