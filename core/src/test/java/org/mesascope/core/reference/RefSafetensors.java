package org.mesascope.core.reference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A small, independent safetensors reader and writer for the test reference (it must not share code
 * with the engine's loader, which it is meant to check).
 *
 * <p>Format (https://github.com/huggingface/safetensors): 8-byte little-endian header length N, N
 * bytes of UTF-8 JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}},
 * then the data; offsets are relative to the first data byte. Data is little-endian, row-major.
 */
public final class RefSafetensors {

    private RefSafetensors() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One tensor in one file; {@code begin}/{@code end} are absolute byte offsets in {@code file}. */
    public record Entry(Path file, String name, String dtype, long[] shape, long begin, long end) {
        public long numel() {
            long n = 1;
            for (long s : shape) n *= s;
            return n;
        }

        public int[] intShape() {
            int[] s = new int[shape.length];
            for (int i = 0; i < s.length; i++) s[i] = Math.toIntExact(shape[i]);
            return s;
        }
    }

    /** Raw bytes of one tensor, as written to (or read from) a file. */
    public record Raw(String dtype, long[] shape, byte[] bytes) {}

    public static int dtypeSize(String dtype) {
        return switch (dtype) {
            case "F64", "I64", "U64" -> 8;
            case "F32", "I32", "U32" -> 4;
            case "F16", "BF16", "I16", "U16" -> 2;
            case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2" -> 1;
            default -> throw new IllegalArgumentException("unknown safetensors dtype " + dtype);
        };
    }

    // ------------------------------------------------------------------ reading

    /** The tensors of one file, in header order. The "__metadata__" entry is skipped. */
    public static Map<String, Entry> readHeader(Path file) throws IOException {
        JsonNode header = headerJson(file);
        long dataStart = 8 + headerLength(file);
        long fileSize = Files.size(file);
        Map<String, Entry> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> f : header.properties()) {
            if (f.getKey().equals("__metadata__")) continue;
            JsonNode t = f.getValue();
            String dtype = t.get("dtype").asText();
            JsonNode shapeNode = t.get("shape");
            long[] shape = new long[shapeNode.size()];
            for (int i = 0; i < shape.length; i++) shape[i] = shapeNode.get(i).asLong();
            long begin = t.get("data_offsets").get(0).asLong();
            long end = t.get("data_offsets").get(1).asLong();
            Entry e = new Entry(file, f.getKey(), dtype, shape, dataStart + begin, dataStart + end);
            if (end < begin || e.end() > fileSize) {
                throw new IOException(file + ": tensor " + f.getKey() + " has offsets outside the file");
            }
            if (e.end() - e.begin() != e.numel() * dtypeSize(dtype)) {
                throw new IOException(file + ": tensor " + f.getKey() + " has " + (end - begin)
                        + " bytes for shape " + Arrays.toString(shape) + " of " + dtype);
            }
            out.put(f.getKey(), e);
        }
        return out;
    }

    public static Map<String, String> readMetadata(Path file) throws IOException {
        JsonNode meta = headerJson(file).get("__metadata__");
        Map<String, String> out = new TreeMap<>();
        if (meta != null) for (Map.Entry<String, JsonNode> f : meta.properties()) out.put(f.getKey(), f.getValue().asText());
        return out;
    }

    static long headerLength(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, b, 0);
            long n = b.flip().getLong();
            if (n < 2 || n > 100_000_000 || 8 + n > ch.size()) {
                throw new IOException(file + ": implausible safetensors header length " + n);
            }
            return n;
        }
    }

    private static JsonNode headerJson(Path file) throws IOException {
        long n = headerLength(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate((int) n);
            readFully(ch, b, 8);
            return JSON.readTree(new String(b.array(), StandardCharsets.UTF_8));
        }
    }

    public static byte[] readBytes(Entry e) throws IOException {
        long len = e.end() - e.begin();
        if (len > Integer.MAX_VALUE - 16) throw new IOException("tensor " + e.name() + " is too large for the reference");
        try (FileChannel ch = FileChannel.open(e.file(), StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate((int) len);
            readFully(ch, b, e.begin());
            return b.array();
        }
    }

    /** The tensor's values converted exactly to double (F32, F16, BF16, F64 only). */
    public static RefTensor readTensor(Entry e) throws IOException {
        return new RefTensor(decode(readBytes(e), e.dtype()), e.intShape());
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            int r = ch.read(b, pos);
            if (r < 0) throw new IOException("unexpected end of file");
            pos += r;
        }
    }

    /** Exact conversion of little-endian floating point data to double. */
    public static double[] decode(byte[] bytes, String dtype) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int n = bytes.length / dtypeSize(dtype);
        double[] out = new double[n];
        switch (dtype) {
            case "F64" -> { for (int i = 0; i < n; i++) out[i] = b.getDouble(); }
            case "F32" -> { for (int i = 0; i < n; i++) out[i] = b.getFloat(); }
            case "F16" -> { for (int i = 0; i < n; i++) out[i] = Float.float16ToFloat(b.getShort()); }
            // bfloat16 is the top half of a float32: widen by shifting the 16 bits into place.
            case "BF16" -> { for (int i = 0; i < n; i++) out[i] = Float.intBitsToFloat((b.getShort() & 0xFFFF) << 16); }
            default -> throw new IllegalArgumentException("the reference reads only float tensors, not " + dtype);
        }
        return out;
    }

    /** Round doubles to {@code dtype} (round to nearest even) and lay them out little-endian. */
    public static byte[] encode(double[] values, String dtype) {
        ByteBuffer b = ByteBuffer.allocate(values.length * dtypeSize(dtype)).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : values) {
            switch (dtype) {
                case "F64" -> b.putDouble(v);
                case "F32" -> b.putFloat((float) v);
                case "F16" -> b.putShort(Float.floatToFloat16((float) v));
                case "BF16" -> b.putShort(floatToBf16((float) v));
                default -> throw new IllegalArgumentException("cannot encode " + dtype);
            }
        }
        return b.array();
    }

    /** float32 → bfloat16 with round-to-nearest-even on the dropped 16 bits (what torch does). */
    static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) 0x7FC0;
        int lsb = (bits >>> 16) & 1;
        return (short) ((bits + 0x7FFF + lsb) >>> 16);
    }

    // ------------------------------------------------------------------ checkpoints (dir, single or sharded)

    /** All tensors of an HF model directory: model.safetensors, or shards via model.safetensors.index.json. */
    public static final class Checkpoint {
        private final Map<String, Entry> entries;

        private Checkpoint(Map<String, Entry> entries) {
            this.entries = entries;
        }

        public static Checkpoint open(Path dir) throws IOException {
            Path single = dir.resolve("model.safetensors");
            Path index = dir.resolve("model.safetensors.index.json");
            Map<String, Entry> entries = new LinkedHashMap<>();
            if (Files.exists(single)) {
                entries.putAll(readHeader(single));
            } else if (Files.exists(index)) {
                JsonNode weightMap = JSON.readTree(index.toFile()).get("weight_map");
                Map<String, Map<String, Entry>> headers = new TreeMap<>();
                for (Map.Entry<String, JsonNode> f : weightMap.properties()) {
                    String shard = f.getValue().asText();
                    Map<String, Entry> h = headers.get(shard);
                    if (h == null) {
                        h = readHeader(dir.resolve(shard));
                        headers.put(shard, h);
                    }
                    Entry e = h.get(f.getKey());
                    if (e == null) throw new IOException("index maps " + f.getKey() + " to " + shard + ", which lacks it");
                    entries.put(f.getKey(), e);
                }
            } else {
                throw new IOException("no model.safetensors or model.safetensors.index.json in " + dir);
            }
            return new Checkpoint(entries);
        }

        public boolean has(String name) {
            return entries.containsKey(name);
        }

        public Entry entry(String name) {
            Entry e = entries.get(name);
            if (e == null) throw new IllegalArgumentException("checkpoint has no tensor " + name);
            return e;
        }

        public RefTensor tensor(String name) throws IOException {
            return readTensor(entry(name));
        }

        public Set<String> names() {
            return Collections.unmodifiableSet(entries.keySet());
        }
    }

    // ------------------------------------------------------------------ writing

    /**
     * Write one safetensors file. The header is padded with spaces so the data starts 8-byte aligned
     * (as the reference implementation does); tensors are laid out in map order.
     */
    public static void write(Path file, Map<String, Raw> tensors, Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode m = header.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (Map.Entry<String, Raw> t : tensors.entrySet()) {
            Raw r = t.getValue();
            long numel = 1;
            for (long s : r.shape()) numel *= s;
            if (numel * dtypeSize(r.dtype()) != r.bytes().length) {
                throw new IllegalArgumentException(t.getKey() + ": " + r.bytes().length + " bytes for shape "
                        + Arrays.toString(r.shape()) + " " + r.dtype());
            }
            ObjectNode e = header.putObject(t.getKey());
            e.put("dtype", r.dtype());
            ArrayNode shape = e.putArray("shape");
            for (long s : r.shape()) shape.add(s);
            ArrayNode offs = e.putArray("data_offsets");
            offs.add(offset);
            offs.add(offset + r.bytes().length);
            offset += r.bytes().length;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        byte[] headerBytes = Arrays.copyOf(json, padded);
        Arrays.fill(headerBytes, json.length, padded, (byte) ' ');
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).flip();
            writeFully(ch, len);
            writeFully(ch, ByteBuffer.wrap(headerBytes));
            for (Raw r : tensors.values()) writeFully(ch, ByteBuffer.wrap(r.bytes()));
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }
}
