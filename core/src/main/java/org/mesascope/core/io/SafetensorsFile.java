package org.mesascope.core.io;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.mesascope.core.MesascopeException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One safetensors file, memory-mapped read-only. Only the JSON header is copied onto the heap; tensors are
 * slices of the mapping. The whole header is validated in {@link #open} (sizes, offsets, overlaps), so a
 * corrupt or truncated file fails there with one line naming the file, not later inside a kernel.
 *
 * <p>Tensors of dtypes Mesascope does not compute with (I64 buffers, F64, ...) are still validated and
 * listed by {@link #names()}; only asking for one with {@link #tensor} fails. Checkpoints often carry such
 * buffers (position ids, masks) that the model never reads.
 *
 * <p>Layout: an 8-byte little-endian u64 header length N, N bytes of JSON
 * ({@code {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {..}}}), then the data
 * region; offsets are relative to its start, 8 + N.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** The same cap as the reference implementation: a larger header is corruption, not a model. */
    static final long MAX_HEADER_BYTES = 100_000_000L;
    static final String METADATA_KEY = "__metadata__";

    private static final ValueLayout.OfLong U64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Strict parsing: a duplicated tensor name or bytes after the JSON object mean a damaged header. */
    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /** A header entry. {@code dtype} is null when Mesascope cannot compute with {@code dtypeName}. */
    private record Entry(String name, String dtypeName, DType dtype, int[] shape, long begin, long end) {}

    private final Path path;
    private final Arena arena;
    private final MemorySegment data;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;
    private boolean closed;

    private SafetensorsFile(Path path, Arena arena, MemorySegment data, Map<String, Entry> entries,
                            Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.data = data;
        this.entries = entries;
        this.metadata = metadata;
    }

    /** Maps {@code file} and validates its header. The mapping lives until {@link #close()}. */
    public static SafetensorsFile open(Path file) {
        if (Files.isDirectory(file)) throw new MesascopeException(file + " is a directory, not a safetensors file");
        // A shared arena: layers may be read from several threads, and close() unmaps deterministically.
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw bad(file, "truncated: " + size + " bytes, shorter than the 8-byte header length");
            }
            MemorySegment mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            // Read as signed: a u64 above 2^63 comes out negative and is rejected with the other oversized values.
            long headerLen = mapped.get(U64_LE, 0);
            if (headerLen < 0 || headerLen > MAX_HEADER_BYTES) {
                throw bad(file, "header length " + Long.toUnsignedString(headerLen) + " exceeds the "
                        + MAX_HEADER_BYTES + "-byte limit; not a safetensors file");
            }
            if (headerLen > size - 8) {
                throw bad(file, "truncated: header length " + headerLen + " but only " + (size - 8)
                        + " bytes follow");
            }
            byte[] header = mapped.asSlice(8, headerLen).toArray(ValueLayout.JAVA_BYTE);
            MemorySegment data = mapped.asSlice(8 + headerLen);
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, Entry> entries = parseHeader(file, header, data.byteSize(), metadata);
            return new SafetensorsFile(file, arena, data, entries, Collections.unmodifiableMap(metadata));
        } catch (IOException e) {
            arena.close();
            throw new MesascopeException("cannot read " + file + ": " + ioCause(e), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static Map<String, Entry> parseHeader(Path file, byte[] header, long dataBytes,
                                                  Map<String, String> metadataOut) {
        JsonNode root;
        try {
            root = JSON.readTree(header);
        } catch (JacksonException e) {
            throw bad(file, "header is not valid JSON: " + oneLine(e.getOriginalMessage()));
        } catch (IOException e) {
            throw bad(file, "header is not valid JSON: " + oneLine(e.getMessage()));
        }
        if (root == null || !root.isObject()) throw bad(file, "header is not a JSON object");

        Map<String, Entry> entries = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            String name = field.getKey();
            JsonNode node = field.getValue();
            if (name.equals(METADATA_KEY)) {
                readMetadata(file, node, metadataOut);
            } else {
                entries.put(name, readEntry(file, name, node, dataBytes));
            }
        }
        checkNoOverlap(file, entries.values());
        return Collections.unmodifiableMap(entries);
    }

    private static void readMetadata(Path file, JsonNode node, Map<String, String> out) {
        if (!node.isObject()) throw bad(file, METADATA_KEY + " is not a JSON object");
        for (Map.Entry<String, JsonNode> kv : node.properties()) {
            if (!kv.getValue().isTextual()) {
                throw bad(file, METADATA_KEY + " value for '" + kv.getKey() + "' is not a string");
            }
            out.put(kv.getKey(), kv.getValue().textValue());
        }
    }

    private static Entry readEntry(Path file, String name, JsonNode node, long dataBytes) {
        if (!node.isObject()) throw bad(file, name, "header entry is not a JSON object");
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) throw bad(file, name, "missing or non-string \"dtype\"");
        String dtypeName = dtypeNode.textValue();

        JsonNode shapeNode = node.get("shape");
        if (shapeNode == null || !shapeNode.isArray()) throw bad(file, name, "missing or non-array \"shape\"");
        int[] shape = new int[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            // int[] shape is what WeightTensor carries, so a dimension must fit an int as well as be non-negative.
            if (!d.isIntegralNumber() || !d.canConvertToInt() || d.intValue() < 0) {
                throw bad(file, name, "shape entry " + d + " is not a non-negative int");
            }
            shape[i] = d.intValue();
        }
        long numel = 1;
        try {
            for (int s : shape) numel = Math.multiplyExact(numel, s);
        } catch (ArithmeticException e) {
            throw bad(file, name, "shape " + Arrays.toString(shape) + " has more elements than fit in a long");
        }

        JsonNode offs = node.get("data_offsets");
        if (offs == null || !offs.isArray() || offs.size() != 2) {
            throw bad(file, name, "\"data_offsets\" is not a [begin, end] pair");
        }
        long begin = offset(file, name, offs.get(0));
        long end = offset(file, name, offs.get(1));
        if (end < begin) throw bad(file, name, "data_offsets [" + begin + ", " + end + "] end before they begin");
        if (end > dataBytes) {
            throw bad(file, name, "truncated: data_offsets end at " + end + " but the data region holds "
                    + dataBytes + " bytes");
        }

        int elemBytes = storageBytes(dtypeName);
        if (elemBytes > 0) {
            long need;
            try {
                need = Math.multiplyExact(numel, elemBytes);
            } catch (ArithmeticException e) {
                throw bad(file, name, "shape " + Arrays.toString(shape) + " of " + dtypeName + " overflows a byte count");
            }
            if (end - begin != need) {
                throw bad(file, name, "data_offsets [" + begin + ", " + end + "] span " + (end - begin)
                        + " bytes, but shape " + Arrays.toString(shape) + " of " + dtypeName + " needs " + need);
            }
        }
        return new Entry(name, dtypeName, DType.fromSafetensors(dtypeName), shape, begin, end);
    }

    private static long offset(Path file, String name, JsonNode n) {
        if (!n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < 0) {
            throw bad(file, name, "data offset " + n + " is not a non-negative integer");
        }
        return n.longValue();
    }

    /**
     * Bytes per element of the safetensors dtypes with a whole-byte element, so sizes are checked even for
     * tensors we never read; 0 for sub-byte or unfamiliar dtypes, whose sizes are then not checked.
     */
    private static int storageBytes(String dtypeName) {
        return switch (dtypeName) {
            case "BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0" -> 1;
            case "U16", "I16", "F16", "BF16" -> 2;
            case "U32", "I32", "F32" -> 4;
            case "U64", "I64", "F64", "C64" -> 8;
            default -> 0;
        };
    }

    private static void checkNoOverlap(Path file, Collection<Entry> entries) {
        List<Entry> byBegin = new ArrayList<>(entries);
        byBegin.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        for (int i = 1; i < byBegin.size(); i++) {
            Entry prev = byBegin.get(i - 1), cur = byBegin.get(i);
            if (cur.begin < prev.end) {
                throw bad(file, "tensors '" + prev.name + "' [" + prev.begin + ", " + prev.end + "] and '"
                        + cur.name + "' [" + cur.begin + ", " + cur.end + "] overlap");
            }
        }
    }

    /** Tensor names in header order. */
    public Set<String> names() {
        return entries.keySet();
    }

    public boolean has(String name) {
        return entries.containsKey(name);
    }

    /** The {@code __metadata__} map (empty when the file has none). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The tensor {@code name}, a slice of the mapping: valid until {@link #close()}. */
    public WeightTensor tensor(String name) {
        if (closed) throw new IllegalStateException(path + " is closed");
        Entry e = entries.get(name);
        if (e == null) throw new MesascopeException("no tensor " + name + " in " + path);
        if (e.dtype == null) {
            throw new MesascopeException("tensor " + name + " in " + path + " has dtype " + e.dtypeName
                    + "; Mesascope reads only F32, F16 and BF16");
        }
        return new WeightTensor(name, e.dtype, e.shape.clone(), data.asSlice(e.begin, e.end - e.begin));
    }

    /** Unmaps the file; segments of tensors handed out earlier become inaccessible. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        arena.close();
    }

    private static MesascopeException bad(Path file, String cause) {
        return new MesascopeException("bad safetensors file " + file + ": " + cause);
    }

    private static MesascopeException bad(Path file, String tensor, String cause) {
        return bad(file, "tensor '" + tensor + "': " + cause);
    }

    /** A short, one-line reason for an I/O failure; the JDK's messages for the common cases are just the path. */
    static String ioCause(IOException e) {
        if (e instanceof NoSuchFileException) return "no such file";
        if (e instanceof AccessDeniedException) return "permission denied";
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : oneLine(m);
    }

    static String oneLine(String s) {
        return s == null ? "" : s.strip().replaceAll("\\s*\\R\\s*", " ");
    }
}
