package org.mesascope.organisms;

/**
 * The size of a GPT-2: blocks, residual width, attention heads, context (learned positions) and vocabulary. The MLP
 * is 4 × d_model wide, as in GPT-2.
 * <p>
 * A vector-input GPT-2 (docs/formats.md, core's {@code ModelConfig.VectorIo}) has {@code inputDim > 0}: a linear
 * read-in of {@code inputDim} values takes the place of the token embedding, and a linear read-out of {@code vocab}
 * values (its output width, as core counts it too) the place of the unembedding. Token models have {@code inputDim 0}.
 */
public record Gpt2Shape(int layers, int dModel, int heads, int positions, int vocab, int inputDim) {
    public Gpt2Shape {
        if (layers < 1 || dModel < 1 || heads < 1 || positions < 1 || vocab < 1 || inputDim < 0) {
            throw new IllegalArgumentException("every size of a GPT-2 must be positive: " + this);
        }
        if (dModel % heads != 0) {
            throw new IllegalArgumentException("d_model " + dModel + " is not a multiple of " + heads + " heads");
        }
    }

    /** A token GPT-2. */
    public Gpt2Shape(int layers, int dModel, int heads, int positions, int vocab) {
        this(layers, dModel, heads, positions, vocab, 0);
    }

    /** A vector-input GPT-2 reading {@code inputDim} values and predicting {@code outputDim} per position. */
    public static Gpt2Shape vectors(int layers, int dModel, int heads, int positions, int inputDim, int outputDim) {
        if (inputDim < 1) throw new IllegalArgumentException("a vector-input GPT-2 needs input_dim >= 1, got " + inputDim);
        return new Gpt2Shape(layers, dModel, heads, positions, outputDim, inputDim);
    }

    public boolean readsVectors() {
        return inputDim > 0;
    }

    public int dMlp() {
        return 4 * dModel;
    }

    public int headDim() {
        return dModel / heads;
    }

    /**
     * Trainable parameters. Tokens: the unembedding is tied to the token embedding, so it is counted once. Vectors:
     * the read-in (inputDim × d + d) and the read-out (d × vocab + vocab) instead of the embedding.
     */
    public long parameterCount() {
        long d = dModel, block = 2 * (2 * d) + (d * 3 * d + 3 * d) + (d * d + d) + (d * dMlp() + dMlp()) + (dMlp() * d + d);
        long io = readsVectors() ? (long) inputDim * d + d + d * vocab + vocab : (long) vocab * d;
        return io + (long) positions * d + layers * block + 2 * d;
    }
}
