package org.mesascope.core.io;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.mesascope.core.MesascopeException;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The weights of a Hugging Face model directory: {@code model.safetensors}, or the shards listed in
 * {@code model.safetensors.index.json}. Pickle checkpoints are refused (see {@link #findCheckpoint}).
 */
public final class HfWeights implements Weights {
    static final String SINGLE = "model.safetensors";
    static final String INDEX = "model.safetensors.index.json";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Path dir;
    /** Stored name to the file holding it, in the order of the header (one file) or the index (shards). */
    private final Map<String, SafetensorsFile> byName;
    private final List<SafetensorsFile> files;

    private HfWeights(Path dir, Map<String, SafetensorsFile> byName, List<SafetensorsFile> files) {
        this.dir = dir;
        this.byName = byName;
        this.files = files;
    }

    /** Maps the checkpoint in {@code modelDir}; every file's header is validated here. */
    public static HfWeights open(Path modelDir) {
        Path checkpoint = findCheckpoint(modelDir);
        if (checkpoint.getFileName().toString().equals(SINGLE)) {
            SafetensorsFile f = SafetensorsFile.open(checkpoint);
            Map<String, SafetensorsFile> byName = new LinkedHashMap<>();
            for (String n : f.names()) byName.put(n, f);
            return new HfWeights(modelDir, Collections.unmodifiableMap(byName), List.of(f));
        }
        return openSharded(modelDir, checkpoint);
    }

    /**
     * The file to load from {@code dir}: {@code model.safetensors} if present, else the shard index.
     * @throws MesascopeException when there is neither, with a conversion hint if only a pickle checkpoint exists
     */
    public static Path findCheckpoint(Path dir) {
        Path single = dir.resolve(SINGLE);
        if (Files.isRegularFile(single)) return single;
        Path index = dir.resolve(INDEX);
        if (Files.isRegularFile(index)) return index;
        String pickle = firstPickle(dir);
        if (pickle != null) {
            // Loading one would mean unpickling, which executes whatever code the file carries.
            throw new MesascopeException(dir + " has only a pickle checkpoint (" + pickle + "); Mesascope does not"
                    + " load pickle files because unpickling runs arbitrary code. Convert it once in Python:"
                    + " `from transformers import AutoModelForCausalLM; AutoModelForCausalLM.from_pretrained('"
                    + dir + "').save_pretrained('OUT', safe_serialization=True)`");
        }
        throw new MesascopeException("no " + SINGLE + " in " + dir);
    }

    /** The alphabetically first pickle checkpoint in {@code dir}, or null. */
    private static String firstPickle(Path dir) {
        if (!Files.isDirectory(dir)) return null;
        TreeSet<String> found = new TreeSet<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir,
                "{pytorch_model.bin,pytorch_model-*.bin,*.pt,*.pth,*.ckpt}")) {
            for (Path p : ds) found.add(p.getFileName().toString());
        } catch (IOException e) {
            throw new MesascopeException("cannot list " + dir + ": " + SafetensorsFile.ioCause(e), e);
        }
        return found.isEmpty() ? null : found.first();
    }

    private static HfWeights openSharded(Path dir, Path index) {
        Map<String, String> weightMap = readWeightMap(index);
        Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
        try {
            Map<String, SafetensorsFile> byName = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : weightMap.entrySet()) {
                String shardName = e.getValue();
                SafetensorsFile shard = shards.get(shardName);
                if (shard == null) {
                    shard = SafetensorsFile.open(shardPath(dir, index, shardName));
                    shards.put(shardName, shard);
                }
                if (!shard.has(e.getKey())) {
                    throw new MesascopeException(index + " puts tensor " + e.getKey() + " in " + shardName
                            + ", but that shard does not contain it");
                }
                byName.put(e.getKey(), shard);
            }
            return new HfWeights(dir, Collections.unmodifiableMap(byName), List.copyOf(shards.values()));
        } catch (RuntimeException ex) {
            shards.values().forEach(SafetensorsFile::close);
            throw ex;
        }
    }

    private static Map<String, String> readWeightMap(Path index) {
        JsonNode root;
        try {
            root = JSON.readTree(index.toFile());
        } catch (JacksonException e) {
            throw new MesascopeException(index + " is not valid JSON: " + SafetensorsFile.oneLine(e.getOriginalMessage()), e);
        } catch (IOException e) {
            throw new MesascopeException("cannot read " + index + ": " + SafetensorsFile.ioCause(e), e);
        }
        JsonNode wm = root == null ? null : root.get("weight_map");
        if (wm == null || !wm.isObject()) throw new MesascopeException(index + " has no \"weight_map\" object");
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : wm.properties()) {
            if (!e.getValue().isTextual()) {
                throw new MesascopeException(index + ": weight_map entry for " + e.getKey() + " is not a file name");
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
        return out;
    }

    /** {@code dir/name}, where {@code name} must be a plain file name: an index must not reach outside its directory. */
    private static Path shardPath(Path dir, Path index, String name) {
        Path p;
        try {
            p = Path.of(name);
        } catch (InvalidPathException e) {
            throw new MesascopeException(index + " names an invalid shard file \"" + name + "\"");
        }
        if (name.isEmpty() || p.isAbsolute() || p.getNameCount() != 1 || name.equals("..") || name.equals(".")) {
            throw new MesascopeException(index + " names shard \"" + name + "\", which is not a file in " + dir);
        }
        Path shard = dir.resolve(p);
        if (!Files.isRegularFile(shard)) {
            throw new MesascopeException(index + " lists shard " + name + ", which is missing from " + dir);
        }
        return shard;
    }

    @Override
    public Set<String> names() {
        return byName.keySet();
    }

    @Override
    public boolean has(String name) {
        return byName.containsKey(name);
    }

    /** The tensor {@code name}; its shape must equal {@code expectedShape} exactly (none given means a scalar). */
    @Override
    public WeightTensor get(String name, int... expectedShape) {
        SafetensorsFile f = byName.get(name);
        if (f == null) throw new MesascopeException("missing tensor " + name + " in " + dir);
        WeightTensor t = f.tensor(name);
        if (!Arrays.equals(t.shape(), expectedShape)) {
            throw new MesascopeException("tensor " + name + " has shape " + Arrays.toString(t.shape())
                    + ", expected " + Arrays.toString(expectedShape));
        }
        return t;
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}
