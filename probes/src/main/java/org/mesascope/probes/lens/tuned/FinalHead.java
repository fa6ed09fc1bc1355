package org.mesascope.probes.lens.tuned;

import org.mesascope.core.MesascopeException;
import org.mesascope.core.io.WeightTensor;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.ModelConfig;
import org.mesascope.core.model.ModelWeights;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The part of a model every lens reads through, frozen: the final norm (LayerNorm, or RMSNorm for the Llama family)
 * and the unembedding [vocab, d] with its bias where the family has one (GPT-J). Read through the core's
 * {@link ModelWeights}, so that the tuned lens trains against exactly what the logit lens applies.
 *
 * @param normBias    null for RMSNorm
 * @param unembedBias [vocab]; null for families without one
 */
public record FinalHead(int dModel, int vocab, double eps, float[] normWeight, float[] normBias,
                        WeightTensor unembedding, float[] unembedBias) {

    /** The model's final norm and unembedding. */
    public static FinalHead of(LoadedModel m) {
        ModelConfig c = m.config();
        if (c.vectors() != null) {
            throw new MesascopeException(m.name() + " reads and writes vectors, not tokens: a lens needs a vocabulary");
        }
        ModelWeights w = ModelWeights.bind(c, m.weights());
        return new FinalHead(c.dModel(), c.vocabSize(), c.normEps(), w.finalNorm().weight(), w.finalNorm().bias(),
                w.unembed().weight(), w.unembed().bias());
    }

    public boolean rmsNorm() {
        return normBias == null;
    }

    /** The unembedding as float32 [vocab · d], row-major (one row per token). */
    public float[] unembeddingFloats() {
        return unembedding.toFloatArray();
    }

    /**
     * SHA-256 of the norm's weight (and bias) and the unembedding as float32 little-endian, in that order: names the
     * head a lens was trained against (tuned-lens keeps a hash of the unembedding for the same check).
     */
    public String sha256() {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        update(digest, normWeight, normWeight.length);
        if (normBias != null) update(digest, normBias, normBias.length);
        float[] row = new float[dModel];
        for (int t = 0; t < vocab; t++) {
            unembedding.read((long) t * dModel, row, 0, dModel);
            update(digest, row, dModel);
        }
        if (unembedBias != null) update(digest, unembedBias, vocab);
        return HexFormat.of().formatHex(digest.digest());
    }

    private static void update(MessageDigest digest, float[] values, int n) {
        ByteBuffer bytes = ByteBuffer.allocate(n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values, 0, n);
        digest.update(bytes.array());
    }
}
