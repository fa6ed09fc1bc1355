package org.mesascope.core.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mesascope.core.MesascopeException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;
import static org.mesascope.core.io.SafetensorsBytes.*;
import static org.mesascope.core.io.SafetensorsFileTest.assertOneLine;

class HfWeightsTest {
    @TempDir
    Path dir;

    /** GPT-2 style names: the "transformer." prefix is just part of the stored name. */
    private void writeSingle() throws IOException {
        String header = "{" + entry("transformer.wte.weight", "F32", "[2, 2]", 0, 16) + ", "
                + entry("transformer.ln_f.bias", "BF16", "[2]", 16, 20) + ", "
                + entry("transformer.h.0.attn.bias", "I64", "[1, 1]", 20, 28) + "}";
        short one = (short) (Float.floatToRawIntBits(1f) >>> 16);
        write(dir.resolve("model.safetensors"), header,
                concat(f32(1f, 2f, 3f, 4f), i16(one, (short) 0), new byte[8]));
    }

    @Test
    void singleFile() throws IOException {
        writeSingle();
        assertEquals(dir.resolve("model.safetensors"), HfWeights.findCheckpoint(dir));
        try (HfWeights w = HfWeights.open(dir)) {
            assertEquals(List.of("transformer.wte.weight", "transformer.ln_f.bias", "transformer.h.0.attn.bias"),
                    List.copyOf(w.names()));
            assertTrue(w.has("transformer.wte.weight"));
            assertFalse(w.has("wte.weight"));
            assertArrayEquals(new float[]{1f, 2f, 3f, 4f}, w.get("transformer.wte.weight", 2, 2).toFloatArray());
            assertArrayEquals(new float[]{1f, 0f}, w.get("transformer.ln_f.bias", 2).toFloatArray());

            assertOneLine(assertThrows(MesascopeException.class, () -> w.get("wte.weight", 2, 2)),
                    "missing tensor wte.weight in " + dir);
            assertOneLine(assertThrows(MesascopeException.class, () -> w.get("transformer.wte.weight", 4, 1)),
                    "tensor transformer.wte.weight has shape [2, 2], expected [4, 1]");
            assertOneLine(assertThrows(MesascopeException.class, () -> w.get("transformer.wte.weight")),
                    "expected []");
            assertOneLine(assertThrows(MesascopeException.class, () -> w.get("transformer.h.0.attn.bias", 1, 1)),
                    "transformer.h.0.attn.bias", "I64");
        }
    }

    @Test
    void singleFileWinsOverAnIndexAndPickles() throws IOException {
        writeSingle();
        Files.writeString(dir.resolve("model.safetensors.index.json"), "not json");
        Files.writeString(dir.resolve("pytorch_model.bin"), "pickle");
        try (HfWeights w = HfWeights.open(dir)) {
            assertEquals(3, w.names().size());
        }
    }

    private void writeShards() throws IOException {
        write(dir.resolve("model-00001-of-00002.safetensors"),
                "{\"__metadata__\": {\"format\": \"pt\"}, " + entry("embed.weight", "F32", "[3]", 0, 12) + "}",
                f32(1f, 2f, 3f));
        write(dir.resolve("model-00002-of-00002.safetensors"),
                "{" + entry("lm_head.weight", "F16", "[2]", 0, 4) + ", " + entry("norm.weight", "F32", "[1]", 4, 8) + "}",
                concat(i16(Float.floatToFloat16(0.5f), Float.floatToFloat16(-8f)), f32(9f)));
    }

    private void writeIndex(String weightMapEntries) throws IOException {
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                "{\"metadata\": {\"total_size\": 20}, \"weight_map\": {" + weightMapEntries + "}}");
    }

    @Test
    void shardedIndex() throws IOException {
        writeShards();
        writeIndex("\"embed.weight\": \"model-00001-of-00002.safetensors\","
                + " \"lm_head.weight\": \"model-00002-of-00002.safetensors\","
                + " \"norm.weight\": \"model-00002-of-00002.safetensors\"");
        assertEquals(dir.resolve("model.safetensors.index.json"), HfWeights.findCheckpoint(dir));
        try (HfWeights w = HfWeights.open(dir)) {
            assertEquals(Set.of("embed.weight", "lm_head.weight", "norm.weight"), w.names());
            assertArrayEquals(new float[]{1f, 2f, 3f}, w.get("embed.weight", 3).toFloatArray());
            assertArrayEquals(new float[]{0.5f, -8f}, w.get("lm_head.weight", 2).toFloatArray());
            assertEquals(9f, w.get("norm.weight", 1).get(0));
        }
    }

    @Test
    void indexPointingAtTheWrongShard() throws IOException {
        writeShards();
        writeIndex("\"embed.weight\": \"model-00002-of-00002.safetensors\"");
        assertOneLine(assertThrows(MesascopeException.class, () -> HfWeights.open(dir)),
                "embed.weight", "model-00002-of-00002.safetensors", "does not contain");
    }

    @Test
    void indexListingAMissingShard() throws IOException {
        writeShards();
        writeIndex("\"embed.weight\": \"model-00001-of-00002.safetensors\", \"x\": \"model-00003.safetensors\"");
        assertOneLine(assertThrows(MesascopeException.class, () -> HfWeights.open(dir)),
                "model-00003.safetensors", "missing");
    }

    @Test
    void shardNamesMustStayInTheDirectory() throws IOException {
        Path model = Files.createDirectory(dir.resolve("model"));
        write(dir.resolve("outside.safetensors"), "{" + entry("w", "F32", "[1]", 0, 4) + "}", f32(1f));
        for (String name : List.of("../outside.safetensors", dir.resolve("outside.safetensors").toString(),
                "sub/x.safetensors", "..", "")) {
            Files.writeString(model.resolve("model.safetensors.index.json"),
                    "{\"weight_map\": {\"w\": \"" + name + "\"}}");
            assertOneLine(assertThrows(MesascopeException.class, () -> HfWeights.open(model)),
                    "shard \"" + name + "\"", "not a file in " + model);
        }
    }

    @Test
    void badIndexFiles() throws IOException {
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"weight_map\": ");
        assertOneLine(assertThrows(MesascopeException.class, () -> HfWeights.open(dir)), "not valid JSON");
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"metadata\": {}}");
        assertOneLine(assertThrows(MesascopeException.class, () -> HfWeights.open(dir)), "weight_map");
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"weight_map\": {\"w\": 1}}");
        assertOneLine(assertThrows(MesascopeException.class, () -> HfWeights.open(dir)), "w", "not a file name");
    }

    @Test
    void badShardIsReportedByName() throws IOException {
        Files.write(dir.resolve("model-1.safetensors"), new byte[]{1});
        writeIndex("\"w\": \"model-1.safetensors\"");
        assertOneLine(assertThrows(MesascopeException.class, () -> HfWeights.open(dir)),
                dir.resolve("model-1.safetensors").toString(), "truncated");
    }

    @Test
    void pickleOnlyDirectoryIsRefusedWithAConversionHint() throws IOException {
        for (String pickle : List.of("pytorch_model.bin", "pytorch_model-00001-of-00002.bin", "model.pt", "w.pth", "last.ckpt")) {
            Path d = Files.createDirectory(dir.resolve("p-" + pickle));
            Files.writeString(d.resolve("config.json"), "{}");
            Files.writeString(d.resolve(pickle), "pickle");
            MesascopeException e = assertThrows(MesascopeException.class, () -> HfWeights.open(d));
            assertOneLine(e, d + " has only a pickle checkpoint (" + pickle + ")", "arbitrary code",
                    "AutoModelForCausalLM.from_pretrained('" + d + "')", "safe_serialization=True");
        }
    }

    @Test
    void nothingToLoad() throws IOException {
        Files.writeString(dir.resolve("config.json"), "{}");
        Files.writeString(dir.resolve("pytorch_model.bin.index.json"), "{}");
        assertOneLine(assertThrows(MesascopeException.class, () -> HfWeights.open(dir)),
                "no model.safetensors in " + dir);
        Path missing = dir.resolve("absent");
        assertOneLine(assertThrows(MesascopeException.class, () -> HfWeights.open(missing)),
                "no model.safetensors in " + missing);
    }
}
