package org.mesascope.probes.dataset;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.mesascope.core.MesascopeException;
import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.io.AtomicFile;
import org.mesascope.core.io.SafetensorsWriter;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.ModelConfig;
import org.mesascope.core.tensor.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Runs a model over a {@link JsonlDataset} in batches and streams the chosen hooks at the chosen positions into
 * safetensors shards plus the JSON sidecar (see {@link org.mesascope.probes.dataset the package comment}). At most
 * one shard's rows are held in memory (plus one batch's), so a dataset's activations may be far larger than the heap.
 *
 * <p>Everything that can be wrong with the input (tokens, positions, hook names, the output folder) is checked by
 * {@link #plan} before the first forward pass. The folder appears whole or not at all: shards and sidecar are written
 * into a hidden folder beside it, which is renamed into place at the end; a previous activation dataset there is
 * replaced only then.
 */
public final class ActivationWriter {
    public static final int DEFAULT_BATCH = 8;
    /** Shard size when {@link Options#shardRows()} is 0: large enough to keep file counts low, small next to a heap. */
    public static final long DEFAULT_SHARD_BYTES = 128L << 20;
    private static final ObjectMapper JSON = JsonMapper.builder()
            .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET) // AtomicFile forces the file after Jackson has written
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    private ActivationWriter() {
    }

    /**
     * @param hooks     globs naming the hooks to store (attention patterns are left out)
     * @param position  the positions that become rows
     * @param batchSize dataset rows per forward pass (a pair's two halves run in the same pass)
     * @param shardRows activation rows per shard file; 0 for about {@link #DEFAULT_SHARD_BYTES} per shard
     */
    public record Options(List<String> hooks, PositionRule position, int batchSize, int shardRows) {
        public Options {
            hooks = List.copyOf(hooks);
            if (batchSize < 1) throw new MesascopeException("batch size must be at least 1, got " + batchSize);
            if (shardRows < 0) throw new MesascopeException("rows per shard must be positive, got " + shardRows);
        }

        /** {@code position} as on the command line ("last", "all", "marker:STR", "field"); default batch and shards. */
        public static Options of(List<String> hooks, String position) {
            return new Options(hooks, PositionRule.parse(position), DEFAULT_BATCH, 0);
        }
    }

    /** Called after each batch: dataset rows done so far, of {@code total}. */
    @FunctionalInterface
    public interface Progress {
        void update(int done, int total);

        Progress NONE = (done, total) -> {
        };
    }

    /**
     * A dataset checked against a model: token ids per example and sequence, the positions stored, the hooks, the
     * shape of one position's value of each ({@code shapes}) and its size ({@code widths}: a row's length). {@link #write} runs it.
     */
    public record Plan(LoadedModel model, JsonlDataset data, Options options, List<String> hooks, int[][] shapes, int[] widths,
                       int[][][] ids, int[][][] positions, long rows) {

        /** Tensor-name prefixes: none for prompts, "positive" and "negative" for pairs. */
        public List<String> halves() {
            return data.kind().halves();
        }

        /** Tensors per shard: for each half, each hook. */
        int tensors() {
            return data.kind().sequences() * hooks.size();
        }

        /** Activation rows per shard: the option, or as many as fit in {@link #DEFAULT_SHARD_BYTES}. */
        int shardRows() {
            long bytesPerRow = 0;
            int widest = 0;
            for (int w : widths) {
                bytesPerRow += 4L * w * data.kind().sequences();
                widest = Math.max(widest, w);
            }
            long limit = options.shardRows() > 0 ? options.shardRows() : Math.max(1, DEFAULT_SHARD_BYTES / bytesPerRow);
            // one tensor of a shard is one Java array
            limit = Math.min(limit, (Integer.MAX_VALUE - 8) / widest);
            return (int) Math.min(limit, Math.max(1, rows));
        }

        /** Runs the forward passes and writes the dataset folder {@code out}; returns its sidecar. */
        public Sidecar write(Path out, Progress progress) {
            return ActivationWriter.write(this, out, progress);
        }
    }

    /**
     * Checks {@code data} against {@code model} before the dataset runs: every sequence encodes to tokens inside the
     * vocabulary and the context, every position rule finds its position, the hook globs name per-position hooks
     * (whose shapes a one-token pass reads off), and pairs take one position per half.
     */
    public static Plan plan(LoadedModel model, JsonlDataset data, Options options) {
        ModelConfig config = model.config();
        if (config.vectors() != null) {
            throw new MesascopeException(model.name() + " reads vectors, not tokens; activation datasets need a token model");
        }
        if (data.kind() == JsonlDataset.Kind.PAIRS && options.position() instanceof PositionRule.All) {
            throw new MesascopeException("--position all stores every token, but the two halves of a contrast pair"
                    + " need one row each; use last, marker:TEXT or field");
        }
        List<String> hooks = DatasetHooks.select(options.hooks(), model.model().hookNames(), model.name());
        int[][] shapes = rowShapes(model, hooks);
        int[] widths = new int[hooks.size()];
        for (int k = 0; k < widths.length; k++) widths[k] = Math.toIntExact(Tensor.numel(shapes[k]));
        List<JsonlDataset.Example> examples = data.examples();
        int[][][] ids = new int[examples.size()][][], positions = new int[examples.size()][][];
        long rows = 0;
        for (int e = 0; e < examples.size(); e++) {
            JsonlDataset.Example ex = examples.get(e);
            int halves = ex.sequences().size();
            ids[e] = new int[halves][];
            positions[e] = new int[halves][];
            for (int h = 0; h < halves; h++) {
                JsonlDataset.Sequence s = ex.sequences().get(h);
                ids[e][h] = tokens(model, data, ex, s);
                positions[e][h] = options.position().positions(data, ex, s, ids[e][h], model.tokenizer());
            }
            rows += positions[e][0].length;
        }
        return new Plan(model, data, options, hooks, shapes, widths, ids, positions, rows);
    }

    /**
     * Each hook's value at one position ([d] for the residual stream, [heads, d_head] for {@code attn.hook_z},
     * [vocab] for logits), read off a one-token pass: the hook tensors are [B, T, ...], and a row is one (b, t).
     */
    private static int[][] rowShapes(LoadedModel model, List<String> hooks) {
        Map<String, int[]> seen = new LinkedHashMap<>();
        HookRegistry registry = new HookRegistry();
        for (String h : hooks) registry.addSink(h, (point, value, batch) -> seen.put(point.name(), value.shape()));
        model.model().forward(Batch.of(new int[]{0}), registry);
        int[][] shapes = new int[hooks.size()][];
        for (int k = 0; k < shapes.length; k++) {
            int[] shape = seen.get(hooks.get(k));
            if (shape == null || shape.length < 3 || shape[0] != 1 || shape[1] != 1) {
                throw new IllegalStateException("hook " + hooks.get(k) + " delivered "
                        + (shape == null ? "nothing" : java.util.Arrays.toString(shape)) + " for one token, not [1, 1, ...]");
            }
            shapes[k] = java.util.Arrays.copyOfRange(shape, 2, shape.length);
        }
        return shapes;
    }

    private static int[] tokens(LoadedModel model, JsonlDataset data, JsonlDataset.Example ex, JsonlDataset.Sequence s) {
        int[] ids;
        if (s.ids() != null) {
            ids = s.ids();
        } else {
            if (model.tokenizer() == null) {
                throw JsonlDataset.bad(data.file(), ex.line(), "gives text, but " + model.name()
                        + " has no tokenizer; give \"tokens\" (token ids) instead");
            }
            ids = model.tokenizer().encode(s.text());
            if (ids.length == 0) throw JsonlDataset.bad(data.file(), ex.line(), "the text encodes to no tokens");
        }
        ModelConfig c = model.config();
        for (int t = 0; t < ids.length; t++) {
            if (ids[t] >= c.vocabSize()) {
                throw JsonlDataset.bad(data.file(), ex.line(), "token id " + ids[t] + " at position " + t
                        + " is outside the vocabulary (ids 0.." + (c.vocabSize() - 1) + ")");
            }
        }
        if (ids.length > c.maxPositions()) {
            throw JsonlDataset.bad(data.file(), ex.line(), ids.length + " tokens, longer than the model's context of "
                    + c.maxPositions());
        }
        return ids;
    }

    /**
     * Fails with one line unless {@code out} can become the dataset folder: absent, an empty folder, or an activation
     * dataset written earlier (only its sidecar and shards inside), which is replaced once the new one is complete.
     */
    public static void checkTarget(Path out) {
        Path dir = out.toAbsolutePath().normalize();
        if (!Files.exists(dir)) {
            Path parent = dir.getParent();
            if (parent != null && Files.exists(parent) && !Files.isDirectory(parent)) {
                throw new MesascopeException("cannot write " + out + ": " + parent + " is not a directory");
            }
            return;
        }
        if (!Files.isDirectory(dir)) throw new MesascopeException("cannot write " + out + ": it exists and is not a directory");
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            boolean any = false, sidecar = false;
            for (Path f : files) {
                any = true;
                String name = f.getFileName().toString();
                if (name.equals(ActivationDataset.SIDECAR)) sidecar = true;
                else if (!ActivationDataset.SHARD_NAME.matcher(name).matches()) {
                    throw new MesascopeException("cannot write " + out + ": it holds " + name + ", which is not part"
                            + " of an activation dataset; choose a new or empty folder");
                }
            }
            if (any && !sidecar) {
                throw new MesascopeException("cannot write " + out + ": it holds shards but no " + ActivationDataset.SIDECAR
                        + "; choose a new or empty folder");
            }
        } catch (IOException e) {
            throw new MesascopeException("cannot write " + out + ": " + e.getMessage(), e);
        }
    }

    static Sidecar write(Plan plan, Path out, Progress progress) {
        checkTarget(out);
        Path dir = out.toAbsolutePath().normalize();
        Path temp;
        try {
            Files.createDirectories(dir.getParent());
            temp = Files.createDirectory(dir.resolveSibling("." + dir.getFileName() + ".partial-" + random()));
        } catch (IOException e) {
            throw new MesascopeException("cannot write " + out + ": " + e.getMessage(), e);
        }
        try {
            List<Sidecar.Shard> shards = new Streamer(plan, temp).run(progress);
            Sidecar sidecar = sidecar(plan, shards);
            AtomicFile.write(temp.resolve(ActivationDataset.SIDECAR), o -> JSON.writeValue(o, sidecar));
            publish(temp, dir);
            return sidecar;
        } catch (IOException e) {
            MesascopeException failure = new MesascopeException("cannot write " + out + ": " + e.getMessage(), e);
            cleanUp(temp, failure);
            throw failure;
        } catch (RuntimeException | Error e) {
            cleanUp(temp, e);
            throw e;
        }
    }

    private static Sidecar sidecar(Plan plan, List<Sidecar.Shard> shards) {
        List<Sidecar.ExampleRows> examples = new ArrayList<>();
        for (int e = 0; e < plan.ids.length; e++) {
            JsonlDataset.Example ex = plan.data.examples().get(e);
            List<Sidecar.SequenceRows> sequences = new ArrayList<>();
            for (int h = 0; h < plan.ids[e].length; h++) {
                int[] ids = plan.ids[e][h], at = plan.positions[e][h];
                int[] tokens = new int[at.length];
                for (int r = 0; r < at.length; r++) tokens[r] = ids[at[r]];
                sequences.add(new Sidecar.SequenceRows(ids.length, at, tokens));
            }
            examples.add(new Sidecar.ExampleRows(ex.id(), ex.line(), ex.label(), sequences));
        }
        List<Sidecar.Hook> hooks = new ArrayList<>();
        for (int k = 0; k < plan.hooks.size(); k++) {
            hooks.add(new Sidecar.Hook(plan.hooks.get(k), plan.widths[k], plan.shapes[k]));
        }
        return new Sidecar(ActivationDataset.FORMAT, ActivationDataset.VERSION, plan.model.name(),
                String.valueOf(plan.data.file().getFileName()), plan.data.kind().jsonName(),
                plan.options.position().toString(), "F32", hooks, plan.halves(), plan.rows, plan.data.labelNames(),
                examples, shards);
    }

    /**
     * The forward passes: each batch's rows are staged per tensor, then appended to the open shard, which is written
     * (and dropped) whenever it is full. Staging first matters because hooks arrive one after another within a pass,
     * and a batch may straddle a shard boundary.
     */
    private static final class Streamer {
        private final Plan plan;
        private final Path dir;
        private final int halves, shardRows;
        private final List<String> names = new ArrayList<>();
        private final int[] nameWidth;
        private final List<Sidecar.Shard> shards = new ArrayList<>();
        /** The open shard: rows [shardStart, shardStart + shardSize), {@code filled} of them written. */
        private long shardStart;
        private int shardSize, filled;
        private final Map<String, float[]> shard = new LinkedHashMap<>();

        Streamer(Plan plan, Path dir) {
            this.plan = plan;
            this.dir = dir;
            this.halves = plan.data.kind().sequences();
            this.shardRows = plan.shardRows();
            nameWidth = new int[plan.tensors()];
            for (int h = 0; h < halves; h++) {
                for (int k = 0; k < plan.hooks.size(); k++) {
                    names.add(tensorName(plan.halves(), h, plan.hooks.get(k)));
                    nameWidth[names.size() - 1] = plan.widths[k];
                }
            }
        }

        List<Sidecar.Shard> run(Progress progress) throws IOException {
            int examples = plan.ids.length, batch = plan.options.batchSize();
            openShard(0);
            for (int from = 0; from < examples; from += batch) {
                int to = Math.min(examples, from + batch);
                append(stage(from, to));
                progress.update(to, examples);
            }
            if (filled > 0) flush();
            return shards;
        }

        /** One forward pass over examples [from, to): their rows of every tensor, in row order. */
        private float[][] stage(int from, int to) {
            int[] rowOffset = new int[to - from + 1];
            int[][] sequences = new int[(to - from) * halves][];
            for (int e = from; e < to; e++) {
                rowOffset[e - from + 1] = rowOffset[e - from] + plan.positions[e][0].length;
                for (int h = 0; h < halves; h++) sequences[(e - from) * halves + h] = plan.ids[e][h];
            }
            int batchRows = rowOffset[to - from];
            float[][] staged = new float[names.size()][];
            HookRegistry registry = new HookRegistry();
            for (int k = 0; k < plan.hooks.size(); k++) {
                int hook = k, width = plan.widths[k];
                for (int h = 0; h < halves; h++) staged[h * plan.hooks.size() + k] = new float[batchRows * width];
                // an exact name (no '*'), so the sink sees that hook only
                registry.addSink(plan.hooks.get(k), (name, value, b) -> copyRows(value, b, width, from, to, rowOffset,
                        staged, hook));
            }
            plan.model.model().forward(Batch.of(sequences), registry);
            return staged;
        }

        private void copyRows(Tensor value, Batch batch, int width, int from, int to, int[] rowOffset, float[][] staged,
                              int hook) {
            if (value.rank() < 3 || value.size() != batch.size() * batch.width() * width) {
                throw new IllegalStateException("hook " + plan.hooks.get(hook) + " delivered shape "
                        + java.util.Arrays.toString(value.shape()) + ", expected [B, T, ...] of " + width + " per position");
            }
            int t = batch.width();
            float[] data = value.data();
            for (int e = from; e < to; e++) {
                for (int h = 0; h < halves; h++) {
                    int b = (e - from) * halves + h;
                    float[] into = staged[h * plan.hooks.size() + hook];
                    int[] at = plan.positions[e][h];
                    for (int r = 0; r < at.length; r++) {
                        System.arraycopy(data, ((b * t) + at[r]) * width, into, (rowOffset[e - from] + r) * width, width);
                    }
                }
            }
        }

        /** Appends staged rows to the open shard, writing it and opening the next one whenever it fills. */
        private void append(float[][] staged) throws IOException {
            int rows = staged[0].length / nameWidth[0], done = 0;
            while (done < rows) {
                int take = Math.min(rows - done, shardSize - filled);
                for (int n = 0; n < names.size(); n++) {
                    int w = nameWidth[n];
                    System.arraycopy(staged[n], done * w, shard.get(names.get(n)), filled * w, take * w);
                }
                filled += take;
                done += take;
                if (filled == shardSize) {
                    flush();
                    if (shardStart < plan.rows) openShard(shardStart);
                }
            }
        }

        private void openShard(long start) {
            shardStart = start;
            shardSize = (int) Math.min(shardRows, plan.rows - start);
            filled = 0;
            shard.clear();
            for (int n = 0; n < names.size(); n++) shard.put(names.get(n), new float[shardSize * nameWidth[n]]);
        }

        private void flush() {
            String file = String.format(Locale.ROOT, "shard-%05d.safetensors", shards.size());
            try (SafetensorsWriter w = SafetensorsWriter.create(dir.resolve(file))) {
                for (int n = 0; n < names.size(); n++) w.add(names.get(n), shard.get(names.get(n)), shardSize, nameWidth[n]);
                w.metadata("format", ActivationDataset.FORMAT).metadata("model", plan.model.name())
                        .metadata("first_row", String.valueOf(shardStart)).metadata("rows", String.valueOf(shardSize))
                        .metadata("position", plan.options.position().toString());
                w.commit();
            }
            shards.add(new Sidecar.Shard(file, shardStart, shardSize));
            shardStart += shardSize;
            filled = 0;
            shard.clear();
        }
    }

    /** The tensor of {@code hook} for half {@code h}: the hook name for prompts, "positive.HOOK" for pairs. */
    static String tensorName(List<String> halves, int h, String hook) {
        return halves.isEmpty() ? hook : halves.get(h) + "." + hook;
    }

    /** Moves the finished folder into place, replacing an earlier dataset (checked by {@link #checkTarget}). */
    private static void publish(Path temp, Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            Path old = dir.resolveSibling("." + dir.getFileName() + ".old-" + random());
            move(dir, old);
            move(temp, dir);
            deleteDataset(old);
        } else {
            move(temp, dir);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    /** Removes the unfinished folder after {@code failure}, which stays the error reported. */
    private static void cleanUp(Path temp, Throwable failure) {
        try {
            deleteDataset(temp);
        } catch (UncheckedIOException suppressed) {
            failure.addSuppressed(suppressed);
        }
    }

    /**
     * Deletes a dataset folder this class wrote: its files, then the folder. Used for temporary datasets; a folder
     * holding anything but a dataset's files is refused (see {@link #checkTarget}).
     */
    public static void delete(Path dir) {
        checkTarget(dir);
        deleteDataset(dir);
    }

    /** Deletes a dataset folder this class wrote: its files, then the folder (nothing else is ever inside). */
    private static void deleteDataset(Path dir) {
        try {
            if (!Files.isDirectory(dir)) return;
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
                for (Path f : files) Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + dir, e);
        }
    }

    private static String random() {
        return Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
    }
}
