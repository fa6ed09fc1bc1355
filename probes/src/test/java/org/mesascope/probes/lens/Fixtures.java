package org.mesascope.probes.lens;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Shared inputs of the lens tests. */
final class Fixtures {
    /** A prompt for stories260k (its README's verification ids: "Once upon a time, …"). */
    static final int[] STORIES_TOKENS = {1, 403, 407, 261, 378, 5, 300, 17, 42, 499, 260};

    private Fixtures() {
    }

    /** The checked-in stories260k checkpoint; the calling test is skipped when the shared folder lacks it. */
    static Path stories260k() {
        // Without the property (an IDE run), surefire's working directory probes/ is one below the project root.
        Path dir = Path.of(System.getProperty("mesascope.shared", "../../shared")).resolve("models/stories260k");
        assumeTrue(Files.isDirectory(dir), "fixture " + dir + " is absent; set -Dmesascope.shared to the shared folder");
        return dir;
    }

    /** A small report written by hand, for the renderers: 2 rows × 2 positions, the second without a target. */
    static LensReport report(String tokenText, String modelName) {
        List<LensReport.TokenInfo> tokens = List.of(new LensReport.TokenInfo(464, "The"),
                new LensReport.TokenInfo(7, tokenText));
        LensReport.Row first = new LensReport.Row("blocks.0.hook_resid_pre", List.of(
                new LensReport.Position(List.of(new LensReport.Top(7, tokenText, 0.12), new LensReport.Top(13, ".", 0.05)),
                        5.1, 2.3, new LensReport.Target(7, 0.12, 1)),
                new LensReport.Position(List.of(new LensReport.Top(13, ".", 0.5), new LensReport.Top(7, tokenText, 0.25)),
                        3.0, 1.5, null)));
        LensReport.Row last = new LensReport.Row("blocks.0.hook_resid_post", List.of(
                new LensReport.Position(List.of(new LensReport.Top(7, tokenText, 0.9), new LensReport.Top(13, ".", 0.01)),
                        0.4, 0.0, new LensReport.Target(7, 0.9, 1)),
                new LensReport.Position(List.of(new LensReport.Top(13, ".", 1.0), new LensReport.Top(7, tokenText, 0.0)),
                        0.0, 0.0, null)));
        return new LensReport(modelName, tokens, List.of(first, last));
    }
}
