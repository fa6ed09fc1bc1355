package org.mesascope.probes.patch;

/**
 * Which run receives the patch (Heimersheim &amp; Nanda 2024, "noising and denoising").
 * <ul>
 *   <li>{@link #DENOISE}: run the corrupted prompt and put in one clean activation. A score near 1 says that
 *       activation is <em>sufficient</em> to restore the clean behaviour (it carries the difference).</li>
 *   <li>{@link #NOISE}: run the clean prompt and put in one corrupted activation. A score near 0 says that activation
 *       is <em>necessary</em> for the clean behaviour; near 1, patching it changed nothing.</li>
 * </ul>
 * Both use the one normalization (patched − corrupted) / (clean − corrupted), so that 1 always means "behaves as on the
 * clean prompt" and 0 "behaves as on the corrupted prompt".
 */
public enum Direction {
    DENOISE("denoise"), NOISE("noise");

    private final String label;

    Direction(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
