package org.mesascope.core.model;

import org.junit.jupiter.api.Test;
import org.mesascope.core.cpu.Gemm;
import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.reference.RefTensor;
import org.mesascope.core.reference.ReferenceModel;
import org.mesascope.core.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The CPU engine against the independent float64 reference of the Hugging Face semantics (core test code,
 * org.mesascope.core.reference): every hook within ‖a−b‖/‖b‖ ≤ 1e-5 (DESIGN.md, numerical contract).
 */
class ForwardVsReferenceTest {
    static final double TOLERANCE = 1e-5;
    static final int[] STORIES_PROMPT = {1, 403, 407, 261, 378, 5, 300, 17, 42, 499, 260};

    static Path stories() {
        Path dir = Path.of(System.getProperty("mesascope.shared", "../shared"), "models/stories260k");
        assumeTrue(Files.isDirectory(dir), "../shared/models/stories260k is absent: the real-checkpoint test needs it");
        return dir;
    }

    /**
     * Runs both and compares every hook the reference has; the engine must have exactly the same hook names. The
     * engine runs once per GEMM path this machine has (the Java kernel; OpenBLAS where it loads).
     */
    static void assertMatches(Path dir, int[] tokens) throws IOException {
        ReferenceModel ref = ReferenceModel.load(dir);
        ReferenceModel.Trace expected = ref.run(tokens);
        List<String> paths = Gemm.openBlasAvailable() ? List.of("java", "openblas") : List.of("java");
        String before = Gemm.mode();
        try {
            for (String path : paths) {
                Gemm.use(path);
                assertMatches(dir, tokens, expected, path);
            }
        } finally {
            Gemm.use(before);
        }
    }

    private static void assertMatches(Path dir, int[] tokens, ReferenceModel.Trace expected, String path) throws IOException {
        try (LoadedModel m = Models.load(dir.toString())) {
            EngineTrace actual = EngineTrace.run(m.model(), tokens);
            assertEquals(Set.copyOf(expected.names()), actual.only().keySet(), "hook names");
            assertEquals(m.model().hookNames(), actual.order, "every hook once, in the order the pass reaches them");
            for (Map.Entry<String, RefTensor> e : expected.asMap().entrySet()) {
                Tensor a = actual.only().get(e.getKey());
                assertArrayEquals(e.getValue().shape(), a.shape(), e.getKey() + " shape");
                double err = e.getValue().relativeError(a.data());
                assertTrue(err <= TOLERANCE, dir.getFileName() + " " + e.getKey() + " (GEMM " + path + "): relative error " + err);
            }
        }
    }

    @Test
    void stories260kEveryHook() throws IOException {
        assertMatches(stories(), STORIES_PROMPT);
    }

    @Test
    void stories260kGreedyReproducesTheReadmeSample() {
        try (LoadedModel m = Models.load(stories().toString())) {
            int[] out = Generation.greedy(m.model(), new int[]{1, 403, 407, 261, 378}, 40, new HookRegistry());
            assertArrayEquals(new int[]{432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337,
                    410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394, 261, 370, 432, 352,
                    266, 268, 388, 426}, out);
        }
    }
}
