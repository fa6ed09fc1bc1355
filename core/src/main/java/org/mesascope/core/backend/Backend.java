package org.mesascope.core.backend;

import org.mesascope.core.io.Weights;
import org.mesascope.core.model.LanguageModel;
import org.mesascope.core.model.ModelConfig;

/**
 * A place forward passes run: the CPU engine in core, or an optional module (the CUDA backend in {@code gpu}) found
 * at run time through {@link java.util.ServiceLoader}. Core never depends on such a module; it only asks each
 * provider whether it can run here.
 */
public interface Backend {
    /** Short name users type after {@code --device}: "cpu", "cuda". */
    String name();

    /**
     * Whether this backend can run on this machine, and in one line why (or what it found). Cheap enough to call
     * once per command; must not throw for a missing driver or library: that is an unusable answer.
     */
    Availability probe();

    /** The model bound to its weights on this backend (weights are read from {@code weights}, which stays open). */
    LanguageModel load(ModelConfig config, Weights weights, Precision precision);

    /** What {@link #probe()} found: usable or not, and a one-line description (the found device, or the cause). */
    record Availability(boolean usable, String description) {
        public static Availability usable(String description) {
            return new Availability(true, description);
        }

        public static Availability unusable(String cause) {
            return new Availability(false, cause);
        }
    }
}
