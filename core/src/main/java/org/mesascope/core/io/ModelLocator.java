package org.mesascope.core.io;

import org.mesascope.core.MesascopeException;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Turns a {@code --model} argument into a model directory: either a directory given as is, or a hub id
 * ({@code gpt2}, {@code EleutherAI/pythia-70m}, optionally {@code @REV}) looked up in the local Hugging Face
 * cache, laid out as {@code HUB/models--ORG--NAME/{refs/main, snapshots/HASH/}}. Nothing is downloaded.
 *
 * <p>Snapshot files are usually symlinks into {@code ../../blobs/}; the returned paths are used as they are,
 * since opening and mapping follow the links.
 */
public final class ModelLocator {
    /** Hub repo ids: one or two components (ORG/NAME). Also keeps a hub id from naming anything outside the cache. */
    private static final Pattern REPO_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?");
    /** A ref ("main", "refs/pr/1" style) or a snapshot hash; components starting with '.' are refused so ".." cannot climb out. */
    private static final Pattern REV = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*");
    private static final Pattern HASH = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]*");

    private ModelLocator() {}

    /**
     * {@link #resolve(String, Map, Path, Path)} with this process's environment and home directory, and the models
     * shipped with Mesascope under {@code $mesascope.home/models} (the launcher sets that property).
     */
    public static Path resolve(String model) {
        String home = System.getProperty("mesascope.home");
        return resolve(model, System.getenv(), Path.of(System.getProperty("user.home")),
                home == null ? null : Path.of(home, "models"));
    }

    /** A model name without shipped models: a directory or a hub id. */
    public static Path resolve(String model, Map<String, String> env, Path userHome) {
        return resolve(model, env, userHome, null);
    }

    /**
     * The directory for {@code model}, which holds {@code config.json}.
     * @param env where HF_HUB_CACHE, HF_HOME and XDG_CACHE_HOME are read (the same precedence as huggingface_hub)
     * @param userHome the home directory, for {@code ~/.cache/huggingface/hub} and a leading {@code ~/} in env values
     * @param shipped  the folder of models shipped with Mesascope (the model organisms), looked up by bare name before
     *                 the Hugging Face cache; null for none
     */
    public static Path resolve(String model, Map<String, String> env, Path userHome, Path shipped) {
        Path asDir = asPath(model);
        if (asDir != null && Files.isDirectory(asDir)) {
            return requireConfig(asDir, asDir + " has no config.json; it is not a Hugging Face model directory");
        }
        if (shipped != null && HASH.matcher(model).matches() && Files.isRegularFile(shipped.resolve(model).resolve("config.json"))) {
            return shipped.resolve(model);
        }

        Path hub = hubCache(env, userHome);
        int at = model.lastIndexOf('@');
        String id = at < 0 ? model : model.substring(0, at);
        String rev = at < 0 ? null : model.substring(at + 1);
        if (!REPO_ID.matcher(id).matches() || (rev != null && !REV.matcher(rev).matches())) {
            throw notFound(model, id, rev, hub);
        }
        Path repo = hub.resolve("models--" + id.replace("/", "--"));
        if (!Files.isDirectory(repo)) throw notFound(model, id, rev, hub);

        Path snapshot = rev == null ? defaultSnapshot(model, repo) : snapshotAt(model, repo, rev);
        return requireConfig(snapshot, "snapshot " + snapshot + " of " + model + " has no config.json (incomplete download?)");
    }

    private static Path asPath(String model) {
        try {
            return Path.of(model);
        } catch (InvalidPathException e) {
            return null;
        }
    }

    private static Path hubCache(Map<String, String> env, Path userHome) {
        String hubCache = env.get("HF_HUB_CACHE");
        if (hubCache != null && !hubCache.isBlank()) return expandHome(hubCache, userHome);
        String hfHome = env.get("HF_HOME");
        if (hfHome != null && !hfHome.isBlank()) return expandHome(hfHome, userHome).resolve("hub");
        String xdg = env.get("XDG_CACHE_HOME");
        Path cache = xdg != null && !xdg.isBlank() ? expandHome(xdg, userHome) : userHome.resolve(".cache");
        return cache.resolve("huggingface").resolve("hub");
    }

    /** huggingface_hub applies expanduser() to these variables, so "~/x" must mean the same here. */
    private static Path expandHome(String value, Path userHome) {
        if (value.equals("~")) return userHome;
        if (value.startsWith("~/")) return userHome.resolve(value.substring(2));
        return Path.of(value);
    }

    /** The snapshot {@code refs/main} points at, or the only snapshot when there is no ref. */
    private static Path defaultSnapshot(String model, Path repo) {
        Path ref = repo.resolve("refs").resolve("main");
        if (Files.isRegularFile(ref)) return snapshotOfRef(model, repo, ref);
        List<String> snapshots = snapshotNames(repo);
        if (snapshots.size() == 1) return repo.resolve("snapshots").resolve(snapshots.getFirst());
        if (snapshots.isEmpty()) throw new MesascopeException("model " + model + " has no snapshots in " + repo);
        throw new MesascopeException("model " + model + " has no refs/main and several snapshots in " + repo + " "
                + snapshots + "; pick one with " + model + "@REV");
    }

    /** {@code rev} as a ref name under {@code refs/}, else as a snapshot hash. */
    private static Path snapshotAt(String model, Path repo, String rev) {
        Path ref = repo.resolve("refs").resolve(rev);
        if (Files.isRegularFile(ref)) return snapshotOfRef(model, repo, ref);
        Path snapshot = repo.resolve("snapshots").resolve(rev);
        if (Files.isDirectory(snapshot)) return snapshot;
        throw new MesascopeException("revision " + rev + " of " + model + " is neither a ref nor a snapshot in "
                + repo + " (snapshots: " + snapshotNames(repo) + ")");
    }

    private static Path snapshotOfRef(String model, Path repo, Path ref) {
        String hash;
        try {
            hash = Files.readString(ref).strip();
        } catch (IOException e) {
            throw new MesascopeException("cannot read " + ref + ": " + SafetensorsFile.ioCause(e), e);
        }
        // The ref's content becomes a path component, so it must be a plain name.
        if (!HASH.matcher(hash).matches()) throw new MesascopeException(ref + " does not hold a commit hash");
        Path snapshot = repo.resolve("snapshots").resolve(hash);
        if (!Files.isDirectory(snapshot)) {
            throw new MesascopeException(ref + " points to snapshot " + hash + ", which is missing for " + model);
        }
        return snapshot;
    }

    private static List<String> snapshotNames(Path repo) {
        Path dir = repo.resolve("snapshots");
        if (!Files.isDirectory(dir)) return List.of();
        TreeSet<String> names = new TreeSet<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, Files::isDirectory)) {
            for (Path p : ds) names.add(p.getFileName().toString());
        } catch (IOException e) {
            throw new MesascopeException("cannot list " + dir + ": " + SafetensorsFile.ioCause(e), e);
        }
        return List.copyOf(names);
    }

    private static Path requireConfig(Path dir, String error) {
        if (!Files.isRegularFile(dir.resolve("config.json"))) throw new MesascopeException(error);
        return dir;
    }

    private static MesascopeException notFound(String model, String id, String rev, Path hub) {
        String download = "huggingface-cli download " + id + (rev == null ? "" : " --revision " + rev);
        return new MesascopeException("model " + model + " not found: not a directory and not in the Hugging Face"
                + " cache at " + hub + " (download it with `" + download + "` or pass a directory)");
    }
}
