package org.mesascope.core.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mesascope.core.MesascopeException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;
import static org.mesascope.core.io.SafetensorsBytes.*;

class SafetensorsFileTest {
    @TempDir
    Path dir;

    @Test
    void readsF32F16AndBf16Exactly() throws IOException {
        float[] f32 = {1.5f, -2.25f, 3.4028235e38f, Float.MIN_VALUE, -0.0f, 1e-7f};
        // Values exactly representable in half precision: normal, max, smallest normal, smallest subnormal.
        float[] f16 = {1.5f, -2.25f, 65504f, 0x1p-14f, 0x1p-24f, -0.0f};
        float[] bf16 = {1.0f, -0.15625f, bf16Exact(3.14159265f), bf16Exact(-1.0e30f)};
        short[] f16Bits = new short[f16.length];
        for (int i = 0; i < f16.length; i++) f16Bits[i] = Float.floatToFloat16(f16[i]);
        short[] bf16Bits = new short[bf16.length];
        for (int i = 0; i < bf16.length; i++) bf16Bits[i] = (short) (Float.floatToRawIntBits(bf16[i]) >>> 16);

        byte[] data = concat(f32(f32), i16(f16Bits), i16(bf16Bits));
        String header = "{\"__metadata__\": {\"format\": \"pt\"}, "
                + entry("a", "F32", "[2, 3]", 0, 24) + ", "
                + entry("b", "F16", "[6]", 24, 36) + ", "
                + entry("c", "BF16", "[2, 1, 2]", 36, 44) + "}";
        try (SafetensorsFile f = SafetensorsFile.open(write(dir.resolve("x.safetensors"), header, data))) {
            assertEquals(List.of("a", "b", "c"), List.copyOf(f.names()));
            assertEquals(Map.of("format", "pt"), f.metadata());
            assertTrue(f.has("b"));
            assertFalse(f.has("__metadata__"));

            WeightTensor a = f.tensor("a");
            assertEquals(DType.F32, a.dtype());
            assertArrayEquals(new int[]{2, 3}, a.shape());
            assertArrayEquals(f32, a.toFloatArray());
            assertArrayEquals(f16, f.tensor("b").toFloatArray());
            WeightTensor c = f.tensor("c");
            assertEquals(DType.BF16, c.dtype());
            assertArrayEquals(new int[]{2, 1, 2}, c.shape());
            assertArrayEquals(bf16, c.toFloatArray());
        }
    }

    private static float bf16Exact(float x) {
        return Float.intBitsToFloat(Float.floatToRawIntBits(x) & 0xffff0000);
    }

    @Test
    void emptyHeaderAndUnalignedOffsetsAreFine() throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(write(dir.resolve("e.safetensors"), "{}", new byte[0]))) {
            assertTrue(f.names().isEmpty());
            assertTrue(f.metadata().isEmpty());
        }
        // The header length 45 puts the data region at an odd address; a 1-byte gap before the tensor is allowed.
        String header = "{" + entry("w", "F32", "[1]", 1, 5) + "}";
        try (SafetensorsFile f = SafetensorsFile.open(write(dir.resolve("u.safetensors"), header,
                concat(new byte[1], f32(7.25f))))) {
            assertEquals(7.25f, f.tensor("w").get(0));
        }
    }

    @Test
    void otherDtypesAreListedButNotReadable() throws IOException {
        String header = "{" + entry("ids", "I64", "[2]", 0, 16) + ", " + entry("w", "F32", "[1]", 16, 20) + "}";
        Path file = write(dir.resolve("m.safetensors"), header, concat(new byte[16], f32(1f)));
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(List.of("ids", "w"), List.copyOf(f.names()));
            MesascopeException e = assertThrows(MesascopeException.class, () -> f.tensor("ids"));
            assertOneLine(e, "I64", "F32, F16 and BF16", "ids", file.toString());
            assertEquals(1f, f.tensor("w").get(0));
        }
    }

    @Test
    void sizesOfOtherDtypesAreStillChecked() throws IOException {
        String header = "{" + entry("ids", "I64", "[2]", 0, 12) + "}";
        assertBad(header, new byte[12], "ids", "12 bytes", "needs 16");
    }

    @Test
    void missingTensorAndClosedFile() throws IOException {
        Path file = write(dir.resolve("m.safetensors"), "{" + entry("w", "F32", "[1]", 0, 4) + "}", f32(1f));
        SafetensorsFile f = SafetensorsFile.open(file);
        assertOneLine(assertThrows(MesascopeException.class, () -> f.tensor("nope")), "no tensor nope", file.toString());
        f.close();
        f.close();
        assertThrows(IllegalStateException.class, () -> f.tensor("w"));
    }

    @Test
    void missingFileAndDirectory() {
        Path missing = dir.resolve("absent.safetensors");
        assertOneLine(assertThrows(MesascopeException.class, () -> SafetensorsFile.open(missing)),
                missing.toString(), "no such file");
        assertOneLine(assertThrows(MesascopeException.class, () -> SafetensorsFile.open(dir)), "is a directory");
    }

    @Test
    void fileShorterThanTheLengthField() throws IOException {
        Path file = Files.write(dir.resolve("t.safetensors"), new byte[]{1, 0, 0});
        assertOneLine(assertThrows(MesascopeException.class, () -> SafetensorsFile.open(file)),
                file.toString(), "truncated", "3 bytes");
    }

    @Test
    void headerLengthPastTheEndOfTheFile() throws IOException {
        Path file = Files.write(dir.resolve("t.safetensors"), SafetensorsBytes.file(50, "{}", new byte[0]));
        assertOneLine(assertThrows(MesascopeException.class, () -> SafetensorsFile.open(file)),
                file.toString(), "truncated", "header length 50");
    }

    @Test
    void headerLengthOverTheLimit() throws IOException {
        for (long declared : new long[]{SafetensorsFile.MAX_HEADER_BYTES + 1, -1L /* u64 max */}) {
            Path file = Files.write(dir.resolve("big.safetensors"), SafetensorsBytes.file(declared, "{}", new byte[0]));
            assertOneLine(assertThrows(MesascopeException.class, () -> SafetensorsFile.open(file)),
                    file.toString(), Long.toUnsignedString(declared), "limit");
        }
    }

    @Test
    void headerNotJson() throws IOException {
        assertBad("{\"a\": ", new byte[0], "not valid JSON");
        assertBad("{} trailing", new byte[0], "not valid JSON");
        assertBad("[1, 2]", new byte[0], "not a JSON object");
        assertBad("", new byte[0], "not a JSON object");
    }

    @Test
    void duplicateTensorName() throws IOException {
        String e = entry("w", "F32", "[1]", 0, 4);
        assertBad("{" + e + ", " + e + "}", f32(1f), "not valid JSON", "w");
    }

    @Test
    void malformedEntries() throws IOException {
        assertBad("{\"w\": 3}", new byte[0], "'w'", "not a JSON object");
        assertBad("{\"w\": {\"shape\": [1], \"data_offsets\": [0, 4]}}", f32(1f), "'w'", "dtype");
        assertBad("{\"w\": {\"dtype\": \"F32\", \"data_offsets\": [0, 4]}}", f32(1f), "'w'", "shape");
        assertBad("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0]}}", f32(1f), "'w'", "data_offsets");
        assertBad("{" + entry("w", "F32", "[1]", -4, 0) + "}", f32(1f), "'w'", "-4");
        assertBad("{" + entry("w", "F32", "[1.5]", 0, 4) + "}", f32(1f), "'w'", "1.5");
        assertBad("{\"__metadata__\": {\"k\": 1}}", new byte[0], "__metadata__", "'k'", "not a string");
        assertBad("{\"__metadata__\": [1]}", new byte[0], "__metadata__", "not a JSON object");
    }

    @Test
    void negativeShape() throws IOException {
        assertBad("{" + entry("w", "F32", "[2, -1]", 0, 4) + "}", f32(1f), "'w'", "-1", "non-negative");
    }

    @Test
    void shapeProductOverflows() throws IOException {
        assertBad("{" + entry("w", "F32", "[2147483647, 2147483647, 2147483647]", 0, 4) + "}", f32(1f),
                "'w'", "[2147483647, 2147483647, 2147483647]", "long");
        assertBad("{" + entry("w", "F32", "[4611686018427387904]", 0, 4) + "}", f32(1f),
                "'w'", "4611686018427387904", "int");
        // Fits a long as an element count, but not as a byte count.
        assertBad("{" + entry("w", "F32", "[2147483647, 2147483647, 2]", 0, 4) + "}", f32(1f),
                "'w'", "overflows");
    }

    @Test
    void byteCountDoesNotMatchShape() throws IOException {
        assertBad("{" + entry("w", "F32", "[2, 2]", 0, 12) + "}", f32(1f, 2f, 3f), "'w'", "12 bytes", "[2, 2]", "needs 16");
    }

    @Test
    void offsetsPastTheDataRegion() throws IOException {
        assertBad("{" + entry("w", "F32", "[2]", 0, 8) + "}", f32(1f), "'w'", "truncated", "holds 4 bytes");
    }

    @Test
    void endBeforeBegin() throws IOException {
        assertBad("{" + entry("w", "F32", "[0]", 4, 0) + "}", f32(1f), "'w'", "[4, 0]");
    }

    @Test
    void overlappingTensors() throws IOException {
        String header = "{" + entry("a", "F32", "[2]", 0, 8) + ", " + entry("b", "F32", "[2]", 4, 12) + "}";
        assertBad(header, f32(1f, 2f, 3f), "'a'", "'b'", "overlap");
    }

    @Test
    void zeroSizedTensorsMayShareAnOffset() throws IOException {
        String header = "{" + entry("e", "F32", "[0, 3]", 0, 0) + ", " + entry("w", "F32", "[1]", 0, 4) + "}";
        try (SafetensorsFile f = SafetensorsFile.open(write(dir.resolve("z.safetensors"), header, f32(2f)))) {
            assertEquals(0, f.tensor("e").numel());
            assertEquals(2f, f.tensor("w").get(0));
        }
    }

    private void assertBad(String header, byte[] data, String... mentions) throws IOException {
        Path file = write(dir.resolve("bad.safetensors"), header, data);
        MesascopeException e = assertThrows(MesascopeException.class, () -> SafetensorsFile.open(file));
        String[] all = new String[mentions.length + 1];
        all[0] = file.toString();
        System.arraycopy(mentions, 0, all, 1, mentions.length);
        assertOneLine(e, all);
    }

    static void assertOneLine(Exception e, String... mentions) {
        String m = e.getMessage();
        assertFalse(m.contains("\n") || m.contains("\r"), () -> "message has a line break: " + m);
        for (String s : mentions) assertTrue(m.contains(s), () -> "message lacks \"" + s + "\": " + m);
    }
}
