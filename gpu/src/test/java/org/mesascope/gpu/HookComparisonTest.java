package org.mesascope.gpu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mesascope.core.backend.Precision;
import org.mesascope.core.io.HfWeights;
import org.mesascope.core.io.Weights;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.model.ModelConfig;
import org.mesascope.core.model.Models;
import org.mesascope.core.reference.RandomCheckpoints;
import org.mesascope.core.tensor.Tensor;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The yardstick DeviceCheck applies on the GPU machine, checked here on the CPU so that a failure there is the GPU's. */
class HookComparisonTest {
    @Test
    void cpuAgainstItselfPassesWithEveryHook(@TempDir Path dir) throws Exception {
        RandomCheckpoints.write(dir, RandomCheckpoints.LLAMA_GQA, 7);
        ModelConfig c = ModelConfig.read(dir);
        try (Weights w = HfWeights.open(dir)) {
            Batch batch = HookComparison.batch(c.vocabSize(), 13, 1);
            Map<String, float[]> a = HookComparison.capture(Models.build(c, w), batch);
            assertEquals(Models.build(c, w).hookNames(), List.copyOf(a.keySet()));
            for (float[] v : a.values()) assertEquals(0.0, HookComparison.relativeError(v, v));
            assertEquals(1.0, HookComparison.top1Agreement(a.get("logits"), a.get("logits"), c.vocabSize()));
        }
    }

    @Test
    void realPositionsDropPadding() {
        Batch batch = Batch.of(new int[]{1, 2, 3}, new int[]{4});
        float[] resid = new float[2 * 3 * 2];
        for (int i = 0; i < resid.length; i++) resid[i] = i;
        assertArrayEquals(new float[]{0, 1, 2, 3, 4, 5, 6, 7},
                HookComparison.realPositions("blocks.0.hook_resid_pre", new Tensor(resid, 2, 3, 2), batch));
        float[] pattern = new float[2 * 1 * 3 * 3];
        for (int i = 0; i < pattern.length; i++) pattern[i] = i;
        // b=0: all 3x3; b=1: only (0,0), which is element 9
        float[] kept = HookComparison.realPositions("blocks.0.attn.hook_pattern", new Tensor(pattern, 2, 1, 3, 3), batch);
        assertEquals(10, kept.length);
        assertEquals(9f, kept[9]);
    }

    @Test
    void nanAndMissingHooksFail() {
        var nan = new HookComparison.Outcome("m", Precision.FP32, List.of(new HookComparison.HookError("logits", Double.NaN)), 1, 1e-4, List.of());
        assertFalse(nan.passed());
        var missing = new HookComparison.Outcome("m", Precision.FP32, List.of(new HookComparison.HookError("logits", 0)), 1, 1e-4, List.of("hook_embed"));
        assertFalse(missing.passed());
        var bf16 = new HookComparison.Outcome("m", Precision.BF16, List.of(new HookComparison.HookError("logits", 1e-2)), 0.98, 2e-2, List.of());
        assertFalse(bf16.passed(), "bf16 needs the same top-1 on >= 99% of positions");
        var ok = new HookComparison.Outcome("m", Precision.TF32, List.of(new HookComparison.HookError("logits", 9e-4)), 0.5, 1e-3, List.of());
        assertTrue(ok.passed());
        assertTrue(Double.isNaN(HookComparison.relativeError(new float[1], new float[2])));
    }
}
