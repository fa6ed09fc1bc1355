package org.mesascope.core.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mesascope.core.MesascopeException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;
import static org.mesascope.core.io.SafetensorsFileTest.assertOneLine;

class SafetensorsWriterTest {
    @TempDir
    Path dir;

    @Test
    void roundTripKeepsValuesOrderAndMetadata() throws IOException {
        float[] big = new float[200_000]; // more than one write chunk
        for (int i = 0; i < big.length; i++) big[i] = i * 0.5f - 7f;
        float[] small = {1f, -2f, Float.NaN, Float.NEGATIVE_INFINITY, -0.0f, 1e-40f};
        Path out = dir.resolve("trace.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(out)) {
            w.add("blocks.1.hook_resid_pre", small, 2, 3)
             .add("blocks.0.hook_resid_pre", big, 1000, 200)
             .add("scalar", new float[]{42f})
             .add("empty", new float[0], 0, 4)
             .metadata("tokens", "464,3290")
             .metadata("model", "gpt2 \"quoted\" é");
            w.commit();
        }
        assertEquals(List.of(out), list(dir));

        byte[] bytes = Files.readAllBytes(out);
        long headerLen = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLen % 8, "header padded to 8 bytes");
        String header = new String(bytes, 8, (int) headerLen, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{"));
        assertEquals(header.stripTrailing().length(), header.lastIndexOf('}') + 1, "padding is spaces");

        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            assertEquals(List.of("blocks.1.hook_resid_pre", "blocks.0.hook_resid_pre", "scalar", "empty"),
                    List.copyOf(f.names()));
            assertEquals(Map.of("tokens", "464,3290", "model", "gpt2 \"quoted\" é"), f.metadata());
            WeightTensor s = f.tensor("blocks.1.hook_resid_pre");
            assertArrayEquals(new int[]{2, 3}, s.shape());
            assertArrayEquals(floatBits(small), floatBits(s.toFloatArray()));
            WeightTensor b = f.tensor("blocks.0.hook_resid_pre");
            assertArrayEquals(new int[]{1000, 200}, b.shape());
            assertArrayEquals(big, b.toFloatArray());
            assertArrayEquals(new int[0], f.tensor("scalar").shape());
            assertEquals(42f, f.tensor("scalar").get(0));
            assertArrayEquals(new int[]{0, 4}, f.tensor("empty").shape());
        }
    }

    @Test
    void replacesAnExistingFile() throws IOException {
        Path out = dir.resolve("t.safetensors");
        Files.writeString(out, "old");
        try (SafetensorsWriter w = SafetensorsWriter.create(out)) {
            w.add("x", new float[]{3f}, 1).commit();
        }
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            assertEquals(3f, f.tensor("x").get(0));
            assertTrue(f.metadata().isEmpty());
        }
        assertEquals(List.of(out), list(dir));
    }

    @Test
    void badAddLeavesTheDirectoryAsItWas() throws IOException {
        Path out = dir.resolve("t.safetensors");
        Files.writeString(out, "previous good output");
        try (SafetensorsWriter w = SafetensorsWriter.create(out)) {
            w.add("a", new float[]{1f, 2f}, 2);
            assertThrows(IllegalArgumentException.class, () -> w.add("b", new float[3], 2, 2));
            assertThrows(IllegalArgumentException.class, () -> w.add("c", new float[0], -1, 0));
            assertThrows(IllegalArgumentException.class, () -> w.add("a", new float[2], 2));
            assertThrows(IllegalArgumentException.class, () -> w.add("__metadata__", new float[1], 1));
            assertThrows(IllegalArgumentException.class, () -> w.add("huge", new float[1], 65536, 65536, 65536, 65536));
        }
        assertEquals(List.of(out), list(dir));
        assertEquals("previous good output", Files.readString(out));
    }

    @Test
    void closeWithoutCommitRemovesTheTempFile() throws IOException {
        Path out = dir.resolve("t.safetensors");
        SafetensorsWriter w = SafetensorsWriter.create(out);
        assertEquals(1, list(dir).size(), "temp file exists while writing");
        w.add("a", new float[]{1f}, 1);
        w.close();
        w.close();
        assertEquals(List.of(), list(dir));
        assertThrows(IllegalStateException.class, w::commit);
    }

    @Test
    void failedCommitRemovesTheTempFile() throws IOException {
        // A directory in the way of the target makes the final rename fail.
        Path out = Files.createDirectory(dir.resolve("t.safetensors"));
        Files.writeString(out.resolve("keep"), "x");
        try (SafetensorsWriter w = SafetensorsWriter.create(out)) {
            w.add("a", new float[]{1f}, 1);
            assertOneLine(assertThrows(MesascopeException.class, w::commit), "cannot write", out.toString());
        }
        assertEquals(List.of(out), list(dir));
    }

    @Test
    void unwritableDestinationFailsAtCreate() {
        Path out = dir.resolve("no-such-dir").resolve("t.safetensors");
        assertOneLine(assertThrows(MesascopeException.class, () -> SafetensorsWriter.create(out)),
                "cannot write", out.toString());
    }

    /** Raw bits, so NaN and -0.0 are compared exactly. */
    private static int[] floatBits(float[] v) {
        int[] bits = new int[v.length];
        for (int i = 0; i < v.length; i++) bits[i] = Float.floatToRawIntBits(v[i]);
        return bits;
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }
}
