package org.mesascope.core.model;

import org.mesascope.core.tensor.KvCache;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.MesascopeException;
import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.tensor.Tensor;

import java.util.Arrays;

/** Greedy decoding with a KV cache: the prompt once, then one position per new token. */
public final class Generation {
    private Generation() {
    }

    /**
     * @param stop token ids that end generation (emitted, then stop); may be empty
     * @return the new token ids (without the prompt)
     */
    public static int[] greedy(LanguageModel model, int[] prompt, int maxNew, HookRegistry hooks, int... stop) {
        ModelConfig c = model.config();
        if (prompt.length + maxNew > c.maxPositions()) {
            throw new MesascopeException("prompt of " + prompt.length + " tokens plus " + maxNew
                    + " new ones is longer than the model's context of " + c.maxPositions() + " positions");
        }
        KvCache cache = model.newCache(1, prompt.length + maxNew);
        int[] out = new int[maxNew];
        Tensor logits = model.forward(Batch.of(prompt), hooks, cache);
        int n = 0;
        while (n < maxNew) {
            int next = argmaxLast(logits);
            out[n++] = next;
            if (Arrays.stream(stop).anyMatch(s -> s == next) || n == maxNew) break;
            logits = model.forward(Batch.continuing(cache.lengths(), new int[]{next}), hooks, cache);
        }
        return Arrays.copyOf(out, n);
    }

    /** The highest logit at the last position of sequence 0 (first one on ties, as torch.argmax). */
    static int argmaxLast(Tensor logits) {
        int t = logits.dim(1), v = logits.dim(2);
        float[] x = logits.data();
        int base = (t - 1) * v, best = 0;
        for (int i = 1; i < v; i++) if (x[base + i] > x[base + best]) best = i;
        return best;
    }
}
