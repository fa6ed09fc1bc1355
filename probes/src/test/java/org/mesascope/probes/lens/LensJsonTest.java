package org.mesascope.probes.lens;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The JSON of DESIGN.md ("lens --format json"): key names, values, and the atomic write. */
class LensJsonTest {
    @TempDir
    Path dir;

    private static List<String> keys(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private List<String> listing() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writesTheDesignKeysAndValues() throws IOException {
        Path file = dir.resolve("lens.json");
        LensJson.write(Fixtures.report("\"quoted\"\n", "gpt2"), file);
        JsonNode root = new ObjectMapper().readTree(Files.readString(file));

        assertEquals(List.of("model", "tokens", "rows"), keys(root));
        assertEquals("gpt2", root.get("model").asText());
        assertEquals(List.of("id", "text"), keys(root.get("tokens").get(0)));
        assertEquals(464, root.get("tokens").get(0).get("id").asInt());
        assertEquals("\"quoted\"\n", root.get("tokens").get(1).get("text").asText());

        JsonNode row = root.get("rows").get(0);
        assertEquals(List.of("hook", "positions"), keys(row));
        assertEquals("blocks.0.hook_resid_pre", row.get("hook").asText());
        JsonNode position = row.get("positions").get(0);
        assertEquals(List.of("top", "entropy", "kl_to_final", "target"), keys(position));
        assertEquals(List.of("id", "text", "prob"), keys(position.get("top").get(0)));
        assertEquals(7, position.get("top").get(0).get("id").asInt());
        assertEquals(0.12, position.get("top").get(0).get("prob").asDouble(), 0.0);
        assertEquals(5.1, position.get("entropy").asDouble(), 0.0);
        assertEquals(2.3, position.get("kl_to_final").asDouble(), 0.0);
        assertEquals(List.of("id", "prob", "rank"), keys(position.get("target")));
        assertEquals(1, position.get("target").get("rank").asInt());

        assertFalse(row.get("positions").get(1).has("target"), "no target: the key is left out");
        assertEquals(List.of("lens.json"), listing(), "no temporary file is left");
        assertEquals(LensJson.toJson(Fixtures.report("\"quoted\"\n", "gpt2")), Files.readString(file));
    }

    @Test
    void replacesAnExistingFileWhole() throws IOException {
        Path file = dir.resolve("lens.json");
        Files.writeString(file, "x".repeat(100_000));
        LensJson.write(Fixtures.report("a", "m"), file);
        assertEquals("m", new ObjectMapper().readTree(file.toFile()).get("model").asText());
        assertEquals(List.of("lens.json"), listing());
    }

    /** A target that cannot be replaced (a non-empty folder): an error, and nothing left behind. */
    @Test
    void failedWriteLeavesNoFile() throws IOException {
        Path blocked = Files.createDirectory(dir.resolve("lens.json"));
        Files.writeString(blocked.resolve("keep"), "");
        assertThrows(IOException.class, () -> LensJson.write(Fixtures.report("a", "m"), blocked));
        assertEquals(List.of("lens.json"), listing());
    }
}
