package org.mesascope.probes.lens.tuned;

import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.tensor.KvCache;
import org.mesascope.core.model.LanguageModel;
import org.mesascope.core.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Text the model itself writes, as a corpus for the tests: {@code count} sequences sampled at temperature 1 from
 * {@code start}, all in one batch with a KV cache. Sampling (not greedy decoding, which would write the same story
 * every time) gives distinct windows, and the model's own distribution is the text a lens is meant for.
 */
final class Sampling {
    private Sampling() {
    }

    static List<int[]> sample(LanguageModel model, int count, int length, int start, long seed) {
        Random random = new Random(seed);
        int vocab = model.config().vocabSize();
        KvCache cache = model.newCache(count, length);
        int[][] out = new int[count][length];
        int[][] step = new int[count][];
        for (int b = 0; b < count; b++) {
            out[b][0] = start;
            step[b] = new int[]{start};
        }
        for (int t = 1; t < length; t++) {
            Tensor logits = model.forward(Batch.continuing(cache.lengths(), step), new HookRegistry(), cache);
            float[] x = logits.data();
            for (int b = 0; b < count; b++) {
                int base = b * vocab; // one new position per sequence: [B, 1, vocab]
                double max = Double.NEGATIVE_INFINITY;
                for (int v = 0; v < vocab; v++) max = Math.max(max, x[base + v]);
                double sum = 0;
                for (int v = 0; v < vocab; v++) sum += Math.exp(x[base + v] - max);
                double u = random.nextDouble() * sum;
                int next = vocab - 1;
                for (int v = 0; v < vocab; v++) {
                    u -= Math.exp(x[base + v] - max);
                    if (u <= 0) {
                        next = v;
                        break;
                    }
                }
                out[b][t] = next;
                step[b] = new int[]{next};
            }
        }
        List<int[]> list = new ArrayList<>(count);
        for (int[] s : out) list.add(s);
        return list;
    }
}
