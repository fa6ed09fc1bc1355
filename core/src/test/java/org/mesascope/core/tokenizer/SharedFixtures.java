package org.mesascope.core.tokenizer;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** The checked-in fixtures under the shared folder (the pom passes its path as {@code mesascope.shared}). */
final class SharedFixtures {
    private SharedFixtures() {
    }

    /** {@code relative} under the shared folder; the calling test is skipped when it isn't there. */
    static Path require(String relative) {
        // Without the property (an IDE run), surefire's working directory core/ is one below the project root.
        Path dir = Path.of(System.getProperty("mesascope.shared", "../../shared")).resolve(relative);
        assumeTrue(Files.isDirectory(dir),
                "fixture " + dir + " is absent; set -Dmesascope.shared to the shared folder");
        return dir;
    }
}
