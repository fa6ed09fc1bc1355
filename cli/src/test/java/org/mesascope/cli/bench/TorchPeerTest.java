package org.mesascope.cli.bench;

import org.mesascope.cli.demo.DemoCheckpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.Gpt2;
import org.mesascope.core.model.ModelConfig;
import org.mesascope.core.model.Models;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The libtorch peer of {@code bench forward} computes what Mesascope computes: on small random GPT-2 and Llama
 * checkpoints written by the benchmark's own generator, every hook of DESIGN.md's table and the logits agree within
 * 1e-4 relative error (float32 on both sides, different summation orders), for a batch of two sequences.
 */
class TorchPeerTest {
    private static final double TOLERANCE = 1e-4;

    @Test
    void gpt2MatchesMesascope(@TempDir Path dir) {
        // 3 layers, d_model 48, 4 heads, 64 positions, 300 tokens
        compare(dir, new DemoCheckpoint.Shape(3, 48, 4, 64, 300, 11));
    }

    @Test
    void llamaWithGroupedQueryAttentionMatchesMesascope(@TempDir Path dir) {
        // 3 layers, d_model 64, 8 query heads sharing 2 key/value heads (head_dim 8), SwiGLU 96 wide
        compare(dir, DemoCheckpoint.Shape.llama(3, 64, 8, 2, 96, 64, 300, 12));
    }

    private static void compare(Path dir, DemoCheckpoint.Shape shape) {
        DemoCheckpoint.writeWithoutTokenizer(dir, shape);
        int[][] tokens = new int[2][13];
        for (int b = 0; b < 2; b++) for (int t = 0; t < 13; t++) tokens[b][t] = (37 * t + 101 * b + 5) % shape.vocab();
        try (LoadedModel m = Models.load(dir.toString())) {
            ModelConfig c = m.config();
            Map<String, float[]> mesascope = new LinkedHashMap<>();
            HookRegistry registry = new HookRegistry().addSink("*", (name, v, batch) -> mesascope.put(name.name(), Arrays.copyOf(v.data(), v.size())));
            m.model().forward(Batch.of(tokens), registry);

            Map<String, float[]> torch = new LinkedHashMap<>();
            try (TorchPeer peer = TorchPeer.load(c, m.weights(), 2)) {
                peer.forward(tokens, name -> true, torch::put);
            }
            Set<String> expected = standardHooks(c);
            assertEquals(expected, torch.keySet(), "the peer fires every hook of the table, in Mesascope's order");
            assertTrue(mesascope.keySet().containsAll(expected), "Mesascope fires them too: " + mesascope.keySet());
            for (String hook : expected) {
                float[] a = torch.get(hook), b = mesascope.get(hook);
                assertEquals(b.length, a.length, hook + ": number of values");
                double err = relativeError(a, b);
                assertTrue(err <= TOLERANCE, hook + ": relative error " + err);
            }
        }
    }

    /** DESIGN.md's hook points, in the order a forward pass computes them. */
    private static Set<String> standardHooks(ModelConfig c) {
        Set<String> hooks = new LinkedHashSet<>();
        hooks.add("hook_embed");
        if (c.family() == Gpt2.ARCH) hooks.add("hook_pos_embed");
        for (int l = 0; l < c.nLayers(); l++) {
            for (String h : new String[]{"hook_resid_pre", "attn.hook_pattern", "attn.hook_z", "hook_attn_out", "hook_resid_mid",
                    "hook_mlp_out", "hook_resid_post"}) {
                hooks.add("blocks." + l + "." + h);
            }
        }
        hooks.add("ln_final.hook_normalized");
        hooks.add("logits");
        return hooks;
    }

    /** ‖a − b‖ / ‖b‖ in double; NaN anywhere makes it NaN, which fails every comparison. */
    static double relativeError(float[] a, float[] b) {
        double diff = 0, norm = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (double) a[i] - b[i];
            diff += d * d;
            norm += (double) b[i] * b[i];
        }
        return Math.sqrt(diff / norm);
    }
}
