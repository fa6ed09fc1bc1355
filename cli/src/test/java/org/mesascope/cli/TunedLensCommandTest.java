package org.mesascope.cli;

import org.mesascope.cli.demo.DemoCheckpoint;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code mesascope tuned-lens train|eval} and {@code lens --lens tuned:DIR} on the committed random GPT-2 (character
 * tokenizer), with a tiny budget: the commands run end to end and write what they say; bad input gets one line.
 */
class TunedLensCommandTest {
    @TempDir
    static Path tmp;
    static Path corpus, lens;
    static Cli.Result trained;

    @BeforeAll
    static void train() throws IOException {
        Random random = new Random(4);
        String[] words = {"the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "home", "fast"};
        List<String> docs = new ArrayList<>();
        for (int d = 0; d < 40; d++) {
            StringBuilder sb = new StringBuilder();
            for (int w = 0; w < 12; w++) sb.append(w == 0 ? "" : " ").append(words[random.nextInt(words.length)]);
            docs.add(sb.append('.').toString());
        }
        corpus = Files.writeString(tmp.resolve("corpus.txt"), String.join("\n\n", docs) + "\n");
        lens = tmp.resolve("lens");
        trained = Cli.run("tuned-lens", "train", "--model", Cli.demoModel().toString(), "--corpus", corpus.toString(),
                "--steps", "3", "--tokens-per-step", "128", "--seq-len", "32", "--eval-tokens", "64", "--threads", "1",
                "--device", "cpu", "--out", lens.toString());
    }

    @Test
    void trainWritesTheLensAndItsHeldOutScores() throws IOException {
        assertEquals(0, trained.exit(), trained.err());
        assertTrue(Files.isRegularFile(lens.resolve("tuned-lens.safetensors")));
        JsonNode config = JsonMapper.builder().build().readTree(lens.resolve("tuned-lens.json").toFile());
        assertEquals("mesascope-tuned-lens", config.get("format").textValue());
        assertEquals(64, config.get("d_model").intValue());
        assertEquals(5, config.get("rows").size());
        assertEquals(3, config.get("training").get("steps").intValue());
        assertEquals(0.1, config.get("training").get("learning_rate").doubleValue(), 1e-12);
        assertEquals(5, config.get("evaluation").get("layers").size());
        assertTrue(trained.out().contains("blocks.3.hook_resid_post"), trained.out());
        assertTrue(trained.err().contains("step 3/3"), trained.err());
    }

    @Test
    void evalPrintsAndWritesTheReport() {
        Path out = tmp.resolve("eval");
        Cli.Result r = Cli.run("tuned-lens", "eval", "--model", Cli.demoModel().toString(), "--lens", lens.toString(),
                "--corpus", corpus.toString(), "--max-tokens", "96", "--device", "cpu", "--out", out.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("logit KL") && r.out().contains("blocks.0.hook_resid_pre"), r.out());
        assertEquals(List.of("tuned-lens-layers.csv", "tuned-lens.html", "tuned-lens.json"), Cli.list(out));
    }

    @Test
    void lensCommandReadsThroughTheTunedLensAndSaysSo() throws IOException {
        Cli.Result r = Cli.run("lens", "--model", Cli.demoModel().toString(), "--prompt", "the cat", "--lens",
                "tuned:" + lens, "--format", "json", "--device", "cpu");
        assertEquals(0, r.exit(), r.err());
        JsonNode root = JsonMapper.builder().build().readTree(r.out());
        assertEquals("tuned", root.get("lens").get("type").textValue());
        assertEquals(lens.toString(), root.get("lens").get("dir").textValue());
        assertEquals(5, root.get("rows").size());

        Path html = tmp.resolve("lens.html");
        Cli.Result h = Cli.run("lens", "--model", Cli.demoModel().toString(), "--prompt", "the cat", "--lens",
                "tuned:" + lens, "--format", "html", "--out", html.toString(), "--device", "cpu");
        assertEquals(0, h.exit(), h.err());
        assertTrue(Files.readString(html).contains("<title>Tuned lens ("), "the page says which lens");

        Cli.Result t = Cli.run("lens", "--model", Cli.demoModel().toString(), "--prompt", "the cat", "--lens",
                "tuned:" + lens, "--device", "cpu");
        assertTrue(t.out().startsWith("lens: tuned lens "), t.out());
    }

    @Test
    void missingCorpusIsOneLine() {
        Path out = tmp.resolve("never");
        Cli.Result r = Cli.run("tuned-lens", "train", "--model", Cli.demoModel().toString(), "--corpus",
                tmp.resolve("nope.txt").toString(), "--out", out.toString(), "--device", "cpu");
        assertOneLine(r, 1, "no such file or directory");
        assertFalse(Files.exists(out), "no output folder for a failed run");
        Cli.Result e = Cli.run("tuned-lens", "eval", "--model", Cli.demoModel().toString(), "--lens", lens.toString(),
                "--corpus", tmp.resolve("nope.txt").toString(), "--device", "cpu");
        assertOneLine(e, 1, "no such file or directory");
    }

    @Test
    void aLensOfAnotherModelIsOneLine() throws IOException {
        Path narrow = tmp.resolve("narrow");
        DemoCheckpoint.writeWithoutTokenizer(narrow, new DemoCheckpoint.Shape(2, 32, 4, 64, 257, 1));
        Path ids = Files.writeString(tmp.resolve("c.ids"), "1 2 3 4 5 6 7 8\n");
        Cli.Result e = Cli.run("tuned-lens", "eval", "--model", narrow.toString(), "--lens", lens.toString(),
                "--corpus", ids.toString(), "--device", "cpu");
        assertOneLine(e, 1, "d_model 64");
        assertTrue(e.err().contains("d_model 32"), e.err());
        Cli.Result l = Cli.run("lens", "--model", narrow.toString(), "--tokens", "1,2,3", "--lens", "tuned:" + lens,
                "--device", "cpu");
        assertOneLine(l, 1, "was trained for a model with d_model 64");
    }

    @Test
    void otherBadInput() throws IOException {
        assertOneLine(Cli.run("tuned-lens", "train", "--model", Cli.demoModel().toString(), "--corpus", corpus.toString(),
                "--steps", "0", "--out", tmp.resolve("x").toString()), 2, "steps must be at least 1");
        assertOneLine(Cli.run("tuned-lens", "train", "--model", Cli.demoModel().toString(), "--corpus", corpus.toString(),
                "--seq-len", "4096", "--out", tmp.resolve("x").toString(), "--device", "cpu"), 1, "longer than the model's context");
        Path tiny = Files.writeString(tmp.resolve("tiny.txt"), "a cat.\n");
        assertOneLine(Cli.run("tuned-lens", "train", "--model", Cli.demoModel().toString(), "--corpus", tiny.toString(),
                "--seq-len", "32", "--out", tmp.resolve("x").toString(), "--device", "cpu"), 1, "fewer than one window");
        assertOneLine(Cli.run("lens", "--model", Cli.demoModel().toString(), "--prompt", "hi", "--lens",
                "tuned:" + tmp.resolve("missing-lens"), "--device", "cpu"), 1, "no such tuned lens directory");
        assertOneLine(Cli.run("lens", "--model", Cli.demoModel().toString(), "--prompt", "hi", "--lens", "tuned:"), 2,
                "needs the lens's folder");
        assertFalse(Files.exists(tmp.resolve("x")));
    }

    private static void assertOneLine(Cli.Result r, int exit, String expected) {
        assertEquals(exit, r.exit(), r.err());
        List<String> lines = r.errLines().stream().filter(s -> !s.startsWith("device auto")).toList();
        assertEquals(1, lines.size(), "one line on stderr: " + r.err());
        assertTrue(lines.getFirst().startsWith("mesascope: ") && lines.getFirst().contains(expected), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace");
    }
}
