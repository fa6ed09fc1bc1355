package org.mesascope.probes.organisms;

/**
 * The size of a GPT-2: blocks, residual width, attention heads, context (learned positions) and vocabulary. The MLP
 * is 4 × d_model wide, as in GPT-2.
 */
public record Gpt2Shape(int layers, int dModel, int heads, int positions, int vocab) {
    public Gpt2Shape {
        if (layers < 1 || dModel < 1 || heads < 1 || positions < 1 || vocab < 1) {
            throw new IllegalArgumentException("every size of a GPT-2 must be positive: " + this);
        }
        if (dModel % heads != 0) {
            throw new IllegalArgumentException("d_model " + dModel + " is not a multiple of " + heads + " heads");
        }
    }

    public int dMlp() {
        return 4 * dModel;
    }

    public int headDim() {
        return dModel / heads;
    }

    /** Trainable parameters; the unembedding is tied to the token embedding, so it is counted once. */
    public long parameterCount() {
        long d = dModel, block = 2 * (2 * d) + (d * 3 * d + 3 * d) + (d * d + d) + (d * dMlp() + dMlp()) + (dMlp() * d + d);
        return (long) vocab * d + (long) positions * d + layers * block + 2 * d;
    }
}
