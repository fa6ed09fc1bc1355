package org.mesascope.core.hooks;

import org.junit.jupiter.api.Test;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HookRegistryTest {
    private static final Batch BATCH = Batch.of(new int[]{1, 2});

    @Test
    void globsMatchWholeNamesAndStarCrossesDots() {
        assertTrue(HookRegistry.matches("blocks.*.hook_resid_post", "blocks.11.hook_resid_post"));
        assertFalse(HookRegistry.matches("blocks.*.hook_resid_post", "blocks.1.hook_resid_pre"));
        assertTrue(HookRegistry.matches("blocks.3.*", "blocks.3.attn.hook_pattern"));
        assertFalse(HookRegistry.matches("blocks.3.*", "blocks.31.hook_resid_pre"));
        assertTrue(HookRegistry.matches("*", "logits"));
        // the dot is literal, not a regex wildcard
        assertFalse(HookRegistry.matches("blocks.1.hook_embed", "blocksx1.hook_embed"));
        assertFalse(HookRegistry.matches("hook_embed", "hook_embed_extra"));
    }

    @Test
    void interventionsRunInOrderThenSinksSeeTheFinalValueOnce() {
        List<String> log = new ArrayList<>();
        Tensor replaced = new Tensor(new float[]{7, 8}, 1, 2);
        HookRegistry r = new HookRegistry()
                .addSink("*", (h, v, b) -> log.add("sink " + h + " " + v.data()[0]))
                .addIntervention("blocks.0.*", (h, v, b) -> {
                    log.add("first " + v.data()[0]);
                    return new Tensor(new float[]{v.data()[0] + 1, 0}, 1, 2);
                })
                .addIntervention("blocks.0.hook_resid_pre", (h, v, b) -> {
                    log.add("second " + v.data()[0]);
                    return replaced;
                });
        Hooks hooks = r.bind(BATCH);
        Tensor out = hooks.at(HookPoint.residPre(0), new Tensor(new float[]{1, 2}, 1, 2));
        assertSame(replaced, out);
        assertEquals(List.of("first 1.0", "second 2.0", "sink blocks.0.hook_resid_pre 7.0"), log);
        assertTrue(hooks.wants(HookPoint.logits()));
        assertFalse(new HookRegistry().addSink("logits", (h, v, b) -> { }).bind(BATCH).wants(HookPoint.embed()));
    }

    @Test
    void anInterventionMustKeepTheShape() {
        Hooks hooks = new HookRegistry().addIntervention("logits", (h, v, b) -> Tensor.zeros(3)).bind(BATCH);
        assertThrows(IllegalArgumentException.class, () -> hooks.at(HookPoint.logits(), Tensor.zeros(2)));
    }

    @Test
    void noSubscriberMeansThePassContinuesWithTheSameTensor() {
        Tensor x = Tensor.zeros(2);
        assertSame(x, new HookRegistry().bind(BATCH).at(HookPoint.residPre(0), x));
    }
}
