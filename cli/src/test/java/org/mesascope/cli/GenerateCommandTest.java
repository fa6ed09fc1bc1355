package org.mesascope.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class GenerateCommandTest {
    /** From ../shared/models/stories260k/README.md: the prompt's ids and llama2.c's 40 greedy ids after it. */
    private static final int[] STORIES_PROMPT = {1, 403, 407, 261, 378};
    private static final int[] STORIES_NEXT_40 = {432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396,
            267, 337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394, 261, 370, 432, 352,
            266, 268, 388, 426};
    private static final String STORIES_TEXT = "Once upon a time, there was a little girl named Lily. She loved to play"
            + " outside in the park. One day, she saw a big, red ball.";

    private static Path stories() {
        Path dir = Cli.shared().resolve("models/stories260k");
        assumeTrue(Files.isDirectory(dir), "skipped: " + dir + " is absent (the shared fixtures are not beside this checkout)");
        return dir;
    }

    private static int[] ids(String line) {
        return Arrays.stream(line.strip().split(",")).mapToInt(Integer::parseInt).toArray();
    }

    @Test
    void storiesGreedyIdsMatchLlama2c() {
        Cli.Result r = Cli.run("generate", "--model", stories().toString(), "--prompt", "Once upon a time",
                "--max-new", "40", "--ids", "--device", "cpu");
        assertEquals(0, r.exit(), r.err());
        int[] all = ids(r.out());
        assertArrayEquals(STORIES_PROMPT, Arrays.copyOf(all, STORIES_PROMPT.length));
        assertArrayEquals(STORIES_NEXT_40, Arrays.copyOfRange(all, STORIES_PROMPT.length, all.length));
    }

    @Test
    void storiesGreedyTextMatchesTheReadme() {
        Cli.Result r = Cli.run("generate", "--model", stories().toString(), "--prompt", "Once upon a time",
                "--max-new", "40", "--device", "cpu");
        assertEquals(0, r.exit(), r.err());
        assertEquals(STORIES_TEXT + "\n", r.out());
        assertEquals("", r.err());
    }

    @Test
    void tokensGiveTheSameContinuationAsText() {
        Cli.Result r = Cli.run("generate", "--model", stories().toString(), "--tokens", "1,403,407,261,378",
                "--max-new", "40", "--ids", "--device", "cpu");
        assertEquals(0, r.exit(), r.err());
        assertArrayEquals(STORIES_NEXT_40, Arrays.copyOfRange(ids(r.out()), 5, 45));
    }

    @Test
    void stopsAfterTheEosTokenOfGenerationConfig(@TempDir Path tmp) throws Exception {
        Path model = Cli.demoCopy(tmp.resolve("m"));
        Cli.Result free = Cli.run("generate", "--model", model.toString(), "--tokens", "72,105", "--max-new", "5",
                "--ids", "--device", "cpu");
        assertEquals(0, free.exit(), free.err());
        int[] freeIds = ids(free.out());
        assertEquals(7, freeIds.length);

        // make the token the model emits second an end-of-sequence token: generation must stop right after its first
        // occurrence (emitted, as transformers does); config.json's own eos (256) is overridden
        int eos = freeIds[3];
        int end = 2;
        while (freeIds[end] != eos) end++;
        Files.writeString(model.resolve("generation_config.json"), "{\"eos_token_id\": [9999, " + eos + "]}");
        Cli.Result stopped = Cli.run("generate", "--model", model.toString(), "--tokens", "72,105", "--max-new", "5",
                "--ids", "--device", "cpu");
        assertEquals(0, stopped.exit(), stopped.err());
        assertArrayEquals(Arrays.copyOf(freeIds, end + 1), ids(stopped.out()));
    }

    @Test
    void withoutTokenizerPrintsIds(@TempDir Path tmp) throws Exception {
        Path model = Cli.demoCopy(tmp.resolve("m"));
        Files.delete(model.resolve("tokenizer.json"));
        Cli.Result r = Cli.run("generate", "--model", model.toString(), "--tokens", "72,105", "--max-new", "3", "--device", "cpu");
        assertEquals(0, r.exit(), r.err());
        int[] all = ids(r.out());
        assertEquals(5, all.length);
        assertArrayEquals(new int[]{72, 105}, Arrays.copyOf(all, 2));
    }
}
