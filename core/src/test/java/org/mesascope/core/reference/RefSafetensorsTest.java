package org.mesascope.core.reference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The reference's own safetensors reader/writer and the random checkpoint generator. */
class RefSafetensorsTest {

    private static byte[] le16(int... halves) {
        ByteBuffer b = ByteBuffer.allocate(2 * halves.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int h : halves) b.putShort((short) h);
        return b.array();
    }

    @Test
    void halfPrecisionDecodesExactly() {
        // IEEE binary16: 1, -2, largest normal 65504, smallest subnormal 2^-24, 1/3 rounded
        assertArrayEquals(new double[] {1, -2, 65504, Math.pow(2, -24), 0.333251953125},
                RefSafetensors.decode(le16(0x3C00, 0xC000, 0x7BFF, 0x0001, 0x3555), "F16"));
        // bfloat16 = top half of float32: 1, -2, 3.140625, 2^-133 (subnormal)
        assertArrayEquals(new double[] {1, -2, 3.140625, Math.pow(2, -133)},
                RefSafetensors.decode(le16(0x3F80, 0xC000, 0x4049, 0x0001), "BF16"));
    }

    @Test
    void bf16EncodingRoundsToNearestEven() {
        assertEquals((short) 0x3F80, RefSafetensors.floatToBf16(1.00390625f));  // tie between 1 and 1+2^-7: even is 1
        assertEquals((short) 0x3F82, RefSafetensors.floatToBf16(1.01171875f));  // tie between 1+2^-7 and 1+2^-6: even is the latter
        assertEquals((short) 0x3F81, RefSafetensors.floatToBf16(1.0079f));      // nearest
        double[] v = {0.1, -3.3, 1e-3};
        double[] back = RefSafetensors.decode(RefSafetensors.encode(v, "BF16"), "BF16");
        for (int i = 0; i < v.length; i++) assertEquals(v[i], back[i], Math.abs(v[i]) / 256);
    }

    @Test
    void writerProducesAlignedHeaderAndRoundTrips(@TempDir Path tmp) throws IOException {
        Map<String, RefSafetensors.Raw> t = new LinkedHashMap<>();
        t.put("a", new RefSafetensors.Raw("F32", new long[] {2, 3}, RefSafetensors.encode(new double[] {1, 2, 3, 4, 5, 6}, "F32")));
        t.put("scalar", new RefSafetensors.Raw("F32", new long[] {}, RefSafetensors.encode(new double[] {-1e4}, "F32")));
        t.put("h", new RefSafetensors.Raw("F16", new long[] {3}, RefSafetensors.encode(new double[] {0.5, -0.25, 8}, "F16")));
        Path f = tmp.resolve("x.safetensors");
        RefSafetensors.write(f, t, Map.of("format", "pt"));

        long n = RefSafetensors.headerLength(f);
        assertEquals(0, (8 + n) % 8, "data starts 8-byte aligned");
        assertEquals(8 + n + 24 + 4 + 6, Files.size(f));
        Map<String, RefSafetensors.Entry> h = RefSafetensors.readHeader(f);
        assertEquals(List.of("a", "scalar", "h"), new ArrayList<>(h.keySet()));
        assertEquals(Map.of("format", "pt"), RefSafetensors.readMetadata(f));
        RefTensor a = RefSafetensors.readTensor(h.get("a"));
        assertArrayEquals(new int[] {2, 3}, a.shape());
        assertArrayEquals(new double[] {1, 2, 3, 4, 5, 6}, a.data());
        assertArrayEquals(new int[] {}, RefSafetensors.readTensor(h.get("scalar")).shape());
        assertArrayEquals(new double[] {-1e4}, RefSafetensors.readTensor(h.get("scalar")).data());
        assertArrayEquals(new double[] {0.5, -0.25, 8}, RefSafetensors.readTensor(h.get("h")).data());
    }

    @Test
    void randomCheckpointsAreDeterministicAndLaidOutAsHfDoes(@TempDir Path tmp) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Path a = RandomCheckpoints.write(tmp.resolve("a"), RandomCheckpoints.GPT2, 1);
        Path b = RandomCheckpoints.write(tmp.resolve("b"), RandomCheckpoints.GPT2, 1);
        Path c = RandomCheckpoints.write(tmp.resolve("c"), RandomCheckpoints.GPT2, 2);
        assertArrayEquals(Files.readAllBytes(a.resolve("model.safetensors")), Files.readAllBytes(b.resolve("model.safetensors")));
        assertArrayEquals(Files.readAllBytes(a.resolve("config.json")), Files.readAllBytes(b.resolve("config.json")));
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(a.resolve("model.safetensors")), Files.readAllBytes(c.resolve("model.safetensors"))));

        // GPT2: "transformer." prefix, F32 lower-triangular attn.bias buffers, tie left to the default
        JsonNode cfg = json.readTree(a.resolve("config.json").toFile());
        assertEquals("gpt2", cfg.get("model_type").asText());
        assertFalse(cfg.has("tie_word_embeddings"));
        assertEquals("gelu_new", cfg.get("activation_function").asText());
        RefSafetensors.Checkpoint ck = RefSafetensors.Checkpoint.open(a);
        assertTrue(ck.has("transformer.wte.weight"));
        assertFalse(ck.has("lm_head.weight"));
        RefTensor mask = ck.tensor("transformer.h.0.attn.bias");
        assertArrayEquals(new int[] {1, 1, 64, 64}, mask.shape());
        assertEquals("F32", ck.entry("transformer.h.0.attn.bias").dtype());
        assertEquals(1.0, mask.data()[5 * 64 + 5], 0);
        assertEquals(0.0, mask.data()[5 * 64 + 6], 0);
        assertArrayEquals(new int[] {48, 144}, ck.tensor("transformer.h.0.attn.c_attn.weight").shape()); // Conv1D [in, out]

        // sharded: two files and an index naming every tensor
        Path s = RandomCheckpoints.write(tmp.resolve("s"), RandomCheckpoints.GPT2_SHARDED, 1);
        assertFalse(Files.exists(s.resolve("model.safetensors")));
        JsonNode index = json.readTree(s.resolve("model.safetensors.index.json").toFile());
        Set<String> files = new TreeSet<>();
        index.get("weight_map").properties().forEach(e -> files.add(e.getValue().asText()));
        assertEquals(Set.of("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"), files);
        assertEquals(ck.names(), RefSafetensors.Checkpoint.open(s).names());

        // half precision variants store every weight in that dtype
        Path f16 = RandomCheckpoints.write(tmp.resolve("f16"), RandomCheckpoints.GPT2_BF16, 1);
        RefSafetensors.Checkpoint ck16 = RefSafetensors.Checkpoint.open(f16);
        for (String name : ck16.names()) assertEquals("BF16", ck16.entry(name).dtype(), name);
        assertEquals("bfloat16", json.readTree(f16.resolve("config.json").toFile()).get("torch_dtype").asText());

        // Llama 3 scaling and GQA configs
        JsonNode l3 = json.readTree(RandomCheckpoints.write(tmp.resolve("l3"), RandomCheckpoints.LLAMA3_SCALING, 1)
                .resolve("config.json").toFile());
        assertEquals("llama3", l3.get("rope_scaling").get("rope_type").asText());
        assertEquals(32, l3.get("rope_scaling").get("original_max_position_embeddings").asInt());
        assertEquals(500000.0, l3.get("rope_theta").asDouble(), 0);
        assertTrue(l3.get("tie_word_embeddings").asBoolean());
        Path gqa = RandomCheckpoints.write(tmp.resolve("gqa"), RandomCheckpoints.LLAMA_GQA, 1);
        RefSafetensors.Checkpoint ckg = RefSafetensors.Checkpoint.open(gqa);
        assertArrayEquals(new int[] {64, 48}, ckg.tensor("model.layers.0.self_attn.q_proj.weight").shape());
        assertArrayEquals(new int[] {16, 48}, ckg.tensor("model.layers.0.self_attn.k_proj.weight").shape());
        assertArrayEquals(new int[] {48, 64}, ckg.tensor("model.layers.0.self_attn.o_proj.weight").shape());
        assertTrue(ckg.has("lm_head.weight"));
        // Qwen2: q/k/v bias, no o bias
        RefSafetensors.Checkpoint ckq = RefSafetensors.Checkpoint.open(
                RandomCheckpoints.write(tmp.resolve("q"), RandomCheckpoints.QWEN2, 1));
        assertTrue(ckq.has("model.layers.0.self_attn.q_proj.bias"));
        assertFalse(ckq.has("model.layers.0.self_attn.o_proj.bias"));
    }
}
