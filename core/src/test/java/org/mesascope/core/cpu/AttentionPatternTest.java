package org.mesascope.core.cpu;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.Models;
import org.mesascope.core.reference.RandomCheckpoints;
import org.mesascope.core.reference.RandomCheckpoints.Variant;
import org.mesascope.core.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Attention keeps the [B, heads, T, Tk] pattern only when a sink or intervention subscribes to attn.hook_pattern;
 * otherwise each query's probabilities live in one reused row. Both ways compute the same probabilities in the same
 * order and sum the values in the same order, so every other hook must come out bit for bit the same whether the
 * pattern is subscribed or not (including under a sliding window and grouped-query heads).
 */
class AttentionPatternTest {
    @TempDir
    static Path root;

    static List<Variant> variants() {
        return List.of(RandomCheckpoints.GPT2, RandomCheckpoints.NEOX_PARALLEL, RandomCheckpoints.LLAMA_GQA,
                RandomCheckpoints.MISTRAL_SLIDING);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void subscribingToThePatternChangesNoOtherHook(Variant v) throws IOException {
        Path dir = RandomCheckpoints.write(root.resolve(v.name()), v, 17);
        try (LoadedModel m = Models.load(dir.toString())) {
            Random r = new Random(3);
            int[] a = new int[9], b = new int[5];
            for (int i = 0; i < a.length; i++) a[i] = r.nextInt(m.config().vocabSize());
            for (int i = 0; i < b.length; i++) b[i] = r.nextInt(m.config().vocabSize());
            Batch batch = Batch.of(a, b);

            Map<String, float[]> without = new LinkedHashMap<>();
            HookRegistry plain = new HookRegistry();
            // everything but the patterns, so that wants("...attn.hook_pattern") is false
            for (String hook : m.model().hookNames()) {
                if (!hook.endsWith("hook_pattern")) plain.addSink(hook, (h, value, bt) -> without.put(h.name(), value.data().clone()));
            }
            Tensor logitsWithout = m.model().forward(batch, plain);

            Map<String, float[]> with = new LinkedHashMap<>();
            Tensor logitsWith = m.model().forward(batch,
                    new HookRegistry().addSink("*", (h, value, bt) -> with.put(h.name(), value.data().clone())));

            assertTrue(with.keySet().stream().anyMatch(h -> h.endsWith("attn.hook_pattern")), "no pattern hook seen");
            for (var e : without.entrySet()) {
                assertArrayEquals(e.getValue(), with.get(e.getKey()), v + ": " + e.getKey());
            }
            assertEquals(without.size(), with.size() - m.config().nLayers(), "hooks seen");
            assertArrayEquals(logitsWithout.data(), logitsWith.data(), v + ": logits");
        }
    }
}
