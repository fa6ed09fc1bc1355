package org.mesascope.core.model;

import org.junit.jupiter.api.Test;
import org.mesascope.core.hooks.HookRegistry;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class Stories260kSmokeTest {
    @Test
    void greedyMatchesReadme() {
        Path dir = Path.of(System.getProperty("mesascope.shared", "../shared"), "models/stories260k");
        assumeTrue(Files.isDirectory(dir), "no ../shared/models/stories260k");
        try (LoadedModel m = Models.load(dir.toString())) {
            int[] out = Generation.greedy(m.model(), new int[]{1, 403, 407, 261, 378}, 40, new HookRegistry());
            System.out.println(Arrays.toString(out));
            assertArrayEquals(new int[]{432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394, 261, 370, 432, 352, 266, 268, 388, 426}, out);
        }
    }
}
