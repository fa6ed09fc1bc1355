package org.mesascope.core.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.mesascope.core.MesascopeException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes float32 tensors and string metadata as one safetensors file, atomically: the bytes go to a temp
 * file beside the target, which {@link #commit()} renames over it. A run that fails half-way therefore
 * leaves no partial file and does not clobber an earlier good one.
 *
 * <pre>{@code
 * try (var w = SafetensorsWriter.create(out)) {
 *     w.add("blocks.0.hook_resid_pre", acts, seq, dModel).metadata("tokens", "464,3290");
 *     w.commit();
 * }   // without commit(), close() deletes the temp file
 * }</pre>
 *
 * <p>{@link #add} keeps a reference to the caller's array rather than copying it (traces can be large, and
 * a copy would double the memory); the array must not change until {@link #commit()}. Tensors are written
 * in insertion order.
 */
public final class SafetensorsWriter implements AutoCloseable {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** Floats per write: bounds the staging buffer whatever the tensor size. */
    private static final int CHUNK_FLOATS = 1 << 16;

    private record Pending(String name, float[] data, int[] shape) {}

    private final Path out;
    private final Path temp;
    private final List<Pending> tensors = new ArrayList<>();
    private final Set<String> names = new LinkedHashSet<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private boolean committed;
    private boolean closed;

    private SafetensorsWriter(Path out, Path temp) {
        this.out = out;
        this.temp = temp;
    }

    /**
     * Starts a file at {@code out}. The temp file is created now, so an unwritable destination fails before
     * any expensive work that would feed the writer.
     */
    public static SafetensorsWriter create(Path out) {
        Path abs = out.toAbsolutePath();
        try {
            return new SafetensorsWriter(abs, AtomicFile.createTemp(abs));
        } catch (IOException e) {
            throw new MesascopeException("cannot write " + out + ": " + SafetensorsFile.ioCause(e), e);
        }
    }

    /**
     * Adds a tensor. {@code data} is held, not copied (see the class comment).
     * @throws IllegalArgumentException if the name is taken or reserved, or {@code shape} does not match
     *         {@code data.length}
     */
    public SafetensorsWriter add(String name, float[] data, int... shape) {
        checkOpen();
        if (name == null || name.isEmpty()) throw new IllegalArgumentException("tensor name is empty");
        if (name.equals(SafetensorsFile.METADATA_KEY)) throw new IllegalArgumentException(name + " is reserved");
        if (names.contains(name)) throw new IllegalArgumentException("tensor " + name + " added twice");
        long numel = 1;
        for (int s : shape) {
            if (s < 0) throw new IllegalArgumentException("tensor " + name + " has negative shape " + Arrays.toString(shape));
            // Capped just above any array length: no overflow, and a later 0 still gives 0.
            numel = Math.min(numel * s, Integer.MAX_VALUE + 1L);
        }
        if (numel != data.length) {
            throw new IllegalArgumentException("tensor " + name + ": shape " + Arrays.toString(shape)
                    + " does not match " + data.length + " values");
        }
        names.add(name);
        tensors.add(new Pending(name, data, shape.clone()));
        return this;
    }

    /** Adds a {@code __metadata__} entry; a repeated key keeps the last value. */
    public SafetensorsWriter metadata(String key, String value) {
        checkOpen();
        if (key == null || value == null) throw new IllegalArgumentException("metadata key and value must not be null");
        metadata.put(key, value);
        return this;
    }

    /** Writes the file and renames it into place. Called at most once. */
    public void commit() {
        checkOpen();
        try {
            byte[] header = header();
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).flip();
                writeFully(ch, len);
                writeFully(ch, ByteBuffer.wrap(header));
                ByteBuffer buf = ByteBuffer.allocate(CHUNK_FLOATS * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                for (Pending t : tensors) {
                    for (int from = 0; from < t.data.length; from += CHUNK_FLOATS) {
                        int n = Math.min(CHUNK_FLOATS, t.data.length - from);
                        buf.clear();
                        buf.asFloatBuffer().put(t.data, from, n);
                        buf.limit(n * Float.BYTES);
                        writeFully(ch, buf);
                    }
                }
                // On disk before the rename, so a crash cannot leave a complete-looking name over partial data.
                ch.force(true);
            }
            AtomicFile.replace(temp, out);
            committed = true;
        } catch (IOException e) {
            throw new MesascopeException("cannot write " + out + ": " + SafetensorsFile.ioCause(e), e);
        } finally {
            // Success or failure, this writer is done; a failed commit removes its temp file right away.
            close();
        }
    }

    private byte[] header() throws JsonProcessingException {
        List<F32Tensor> layout = new ArrayList<>();
        for (Pending t : tensors) layout.add(new F32Tensor(t.name, t.shape));
        return f32Header(metadata, layout);
    }

    /** A float32 tensor's place in a header: its name and shape. */
    public record F32Tensor(String name, int[] shape) {
        public long numel() {
            long n = 1;
            for (int d : shape) n *= d;
            return n;
        }
    }

    /**
     * The JSON header of F32 tensors stored one after another in the given order, metadata first (none if empty),
     * padded with spaces to a multiple of 8 bytes as the reference writer does. For writers that stream the data
     * themselves (generated checkpoints too large to hold).
     */
    public static byte[] f32Header(Map<String, String> metadata, List<F32Tensor> tensors) throws JsonProcessingException {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject(SafetensorsFile.METADATA_KEY);
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (F32Tensor t : tensors) {
            ObjectNode e = root.putObject(t.name());
            e.put("dtype", "F32");
            ArrayNode shape = e.putArray("shape");
            for (int s : t.shape()) shape.add(s);
            long end = offset + t.numel() * Float.BYTES;
            e.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json = JSON.writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] header = Arrays.copyOf(json, padded);
        Arrays.fill(header, json.length, padded, (byte) ' ');
        return header;
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) ch.write(buf);
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("writer for " + out + " is already " + (committed ? "committed" : "closed"));
    }

    /** Deletes the temp file unless {@link #commit()} succeeded; safe to call more than once. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (committed) return;
        try {
            Files.deleteIfExists(temp);
        } catch (IOException e) {
            throw new MesascopeException("cannot delete temp file " + temp + ": " + SafetensorsFile.ioCause(e), e);
        }
    }
}
