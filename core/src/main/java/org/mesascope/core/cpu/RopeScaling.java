package org.mesascope.core.cpu;

/**
 * config.json's rope_scaling: "linear" divides positions by {@code factor}; "llama3" (Llama 3.1) slows long
 * wavelengths by {@code factor}, keeps short ones, and blends linearly in between.
 */
public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
                          int originalMaxPositions) {
}
