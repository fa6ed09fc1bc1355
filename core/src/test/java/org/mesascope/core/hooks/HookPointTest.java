package org.mesascope.core.hooks;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HookPointTest {
    @Test
    void namesAreTransformerLenss() {
        assertEquals("hook_embed", HookPoint.embed().name());
        assertEquals("hook_pos_embed", HookPoint.posEmbed().name());
        assertEquals("blocks.0.hook_resid_pre", HookPoint.residPre(0).name());
        assertEquals("blocks.3.attn.hook_pattern", HookPoint.pattern(3).name());
        assertEquals("blocks.11.attn.hook_z", HookPoint.z(11).name());
        assertEquals("blocks.2.hook_attn_out", HookPoint.attnOut(2).name());
        assertEquals("blocks.2.hook_resid_mid", HookPoint.residMid(2).name());
        assertEquals("blocks.2.hook_mlp_out", HookPoint.mlpOut(2).name());
        assertEquals("blocks.300.hook_resid_post", HookPoint.residPost(300).name());
        assertEquals("ln_final.hook_normalized", HookPoint.lnFinal().name());
        assertEquals("logits", HookPoint.logits().name());
        assertEquals("blocks.*.hook_resid_post", HookPoint.everyLayer(HookPoint.Site.RESID_POST));
        assertEquals(HookPoint.EVERY_RESID_POST, HookPoint.everyLayer(HookPoint.Site.RESID_POST));
        assertEquals("blocks.{l}.attn.hook_z", HookPoint.z(5).template("{l}"));
        assertEquals("blocks.4.*", HookPoint.everyPointOf(4));
    }

    @Test
    void everyNameParsesBackToItsPoint() {
        // across the cache of the first layers and beyond it
        for (HookPoint.Site s : HookPoint.Site.values()) {
            for (int l : s.inBlock() ? new int[]{0, 1, 9, 10, 255, 256, 1000} : new int[]{-1}) {
                HookPoint p = HookPoint.of(s, l);
                assertEquals(Optional.of(p), HookPoint.parse(p.name()), p.name());
                assertEquals(l, p.layer());
            }
        }
        assertSame(HookPoint.residPre(7), HookPoint.parse("blocks.7.hook_resid_pre").orElseThrow());
    }

    @Test
    void whatIsNotAHookNameDoesNotParse() {
        for (String name : List.of("", "logit", "blocks.01.attn.hook_z", "blocks..hook_resid_pre", "blocks.-1.hook_resid_pre",
                "blocks.3.hook_foo", "blocks.3.hook_resid_pre.x", "blocks.x.hook_mlp_out", "blocks.3", "hook_resid_pre",
                "blocks.1234567.hook_resid_pre")) {
            assertEquals(Optional.empty(), HookPoint.parse(name), name);
        }
    }

    @Test
    void shapesAndLayersAreChecked() {
        assertFalse(HookPoint.pattern(0).shape().perPosition());
        assertTrue(HookPoint.z(0).shape().perPosition());
        assertEquals("[B, T, heads, d_head]", HookPoint.z(0).shape().toString());
        assertThrows(IllegalArgumentException.class, () -> HookPoint.of(HookPoint.Site.LOGITS, 0));
        assertThrows(IllegalArgumentException.class, () -> HookPoint.of(HookPoint.Site.RESID_PRE, -1));
    }
}
