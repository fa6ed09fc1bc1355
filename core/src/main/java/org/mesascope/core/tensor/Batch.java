package org.mesascope.core.tensor;

import org.mesascope.core.MesascopeException;

import java.util.Arrays;

/**
 * Token sequences of different lengths run together. Sequences are right-padded to {@link #width()};
 * padded positions are computed but masked, so every sequence's numbers equal its run alone.
 * {@code start(b)} is the position of the sequence's first token here (non-zero when a KV cache holds earlier tokens).
 *
 * <p>Models that read vectors instead of tokens (a VectorIo (see ModelConfig)) get {@code vectors}: per sequence,
 * {@code inputDim} floats per position, right-padded with zeros; {@code tokens} are then all 0.
 */
public record Batch(int[][] tokens, float[][] vectors, int inputDim, int[] lengths, int[] starts) {

    public static Batch of(int[]... sequences) {
        return continuing(new int[sequences.length], sequences);
    }

    /** New tokens for sequences whose first {@code starts[b]} positions are already in a KV cache. */
    public static Batch continuing(int[] starts, int[]... sequences) {
        if (sequences.length == 0) throw new MesascopeException("empty batch: no prompts");
        int width = 0;
        for (int[] s : sequences) {
            if (s.length == 0) throw new MesascopeException("empty prompt: a sequence needs at least one token");
            width = Math.max(width, s.length);
        }
        int[][] padded = new int[sequences.length][];
        int[] lengths = new int[sequences.length];
        for (int b = 0; b < sequences.length; b++) {
            padded[b] = Arrays.copyOf(sequences[b], width);
            lengths[b] = sequences[b].length;
        }
        return new Batch(padded, null, 0, lengths, starts.clone());
    }

    /**
     * Sequences of vectors: {@code sequences[b]} holds length(b) × inputDim floats, position-major.
     */
    public static Batch ofVectors(int inputDim, float[]... sequences) {
        if (inputDim <= 0) throw new IllegalArgumentException("input dimension must be positive");
        int[][] positions = new int[sequences.length][];
        for (int b = 0; b < sequences.length; b++) {
            if (sequences[b].length % inputDim != 0) {
                throw new MesascopeException("sequence " + b + " has " + sequences[b].length
                        + " values, not a whole number of " + inputDim + "-vectors");
            }
            positions[b] = new int[sequences[b].length / inputDim];
        }
        Batch shape = of(positions);
        float[][] padded = new float[sequences.length][];
        for (int b = 0; b < sequences.length; b++) padded[b] = Arrays.copyOf(sequences[b], shape.width() * inputDim);
        return new Batch(shape.tokens, padded, inputDim, shape.lengths, shape.starts);
    }

    public boolean hasVectors() {
        return vectors != null;
    }

    public int size() {
        return tokens.length;
    }

    /** Padded sequence length T of every hook tensor. */
    public int width() {
        return tokens[0].length;
    }

    public int length(int b) {
        return lengths[b];
    }

    public int start(int b) {
        return starts[b];
    }

    /** The real (unpadded) tokens of sequence b. */
    public int[] sequence(int b) {
        return Arrays.copyOf(tokens[b], lengths[b]);
    }
}
