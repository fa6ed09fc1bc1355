package org.mesascope.cli;

import org.mesascope.cli.demo.DemoCheckpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mesascope.core.io.SafetensorsFile;
import org.mesascope.core.io.WeightTensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class TraceCommandTest {
    private static final int LAYERS = DemoCheckpoint.DEMO.layers(), D = DemoCheckpoint.DEMO.dModel(), HEADS = DemoCheckpoint.DEMO.heads();
    /** "Hi there" in the demo tokenizer: one token per byte. */
    private static final String PROMPT = "Hi there";
    private static final int T = PROMPT.length();

    /** DESIGN.md's hook table for a GPT-2, in the order the forward pass computes them. */
    private static List<String> gpt2Hooks() {
        List<String> hooks = new ArrayList<>(List.of("hook_embed", "hook_pos_embed"));
        for (int l = 0; l < LAYERS; l++) {
            for (String h : List.of("hook_resid_pre", "attn.hook_pattern", "attn.hook_z", "hook_attn_out", "hook_resid_mid",
                    "hook_mlp_out", "hook_resid_post")) {
                hooks.add("blocks." + l + "." + h);
            }
        }
        hooks.addAll(List.of("ln_final.hook_normalized", "logits"));
        return hooks;
    }

    @Test
    void writesEveryHookNamedAndShapedAsDesignWithTokenMetadata(@TempDir Path tmp) {
        Path out = tmp.resolve("t.safetensors");
        Cli.Result r = Cli.run("trace", "--model", Cli.demoModel().toString(), "--prompt", PROMPT, "--out", out.toString(),
                "--device", "cpu");
        assertEquals(0, r.exit(), r.err());
        assertEquals("", r.out());

        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            List<String> expected = gpt2Hooks();
            assertEquals(expected, List.copyOf(f.names()));
            for (String hook : expected) {
                int[] shape = hook.endsWith("hook_pattern") ? new int[]{HEADS, T, T}
                        : hook.endsWith("hook_z") ? new int[]{T, HEADS, D / HEADS}
                        : hook.equals("logits") ? new int[]{T, DemoCheckpoint.DEMO.vocab()} : new int[]{T, D};
                assertArrayEquals(shape, f.tensor(hook).shape(), hook);
            }
            Map<String, String> meta = f.metadata();
            assertEquals("[72,105,32,116,104,101,114,101]", meta.get("tokens"));
            assertEquals(Cli.demoModel().toString(), meta.get("model"));
            assertEquals("[\"*\"]", meta.get("hooks"));
            assertEquals(PROMPT, meta.get("prompt"));
        }
        assertEquals(List.of("t.safetensors"), Cli.list(tmp));
    }

    /**
     * The residual identities of a sequential block hold between the saved tensors. They hold only if every sink copied
     * its tensor: the engine may reuse a buffer after the hook returns.
     */
    @Test
    void savedTensorsAreCopiesThatSatisfyTheResidualIdentities(@TempDir Path tmp) {
        Path out = tmp.resolve("t.safetensors");
        assertEquals(0, Cli.run("trace", "--model", Cli.demoModel().toString(), "--prompt", PROMPT, "--out",
                out.toString(), "--device", "cpu").exit());
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            assertSum(f.tensor("hook_embed"), f.tensor("hook_pos_embed"), f.tensor("blocks.0.hook_resid_pre"));
            for (int l = 0; l < LAYERS; l++) {
                String b = "blocks." + l + ".";
                assertSum(f.tensor(b + "hook_resid_pre"), f.tensor(b + "hook_attn_out"), f.tensor(b + "hook_resid_mid"));
                assertSum(f.tensor(b + "hook_resid_mid"), f.tensor(b + "hook_mlp_out"), f.tensor(b + "hook_resid_post"));
                if (l + 1 < LAYERS) {
                    assertArrayEquals(f.tensor(b + "hook_resid_post").toFloatArray(),
                            f.tensor("blocks." + (l + 1) + ".hook_resid_pre").toFloatArray());
                }
            }
            // attention rows are probability distributions over the causal prefix
            float[] p = f.tensor("blocks.0.attn.hook_pattern").toFloatArray();
            for (int h = 0; h < HEADS; h++) {
                for (int q = 0; q < T; q++) {
                    double sum = 0;
                    for (int k = 0; k < T; k++) {
                        float v = p[(h * T + q) * T + k];
                        if (k > q) assertEquals(0f, v, "masked future position");
                        sum += v;
                    }
                    assertEquals(1.0, sum, 1e-5);
                }
            }
        }
    }

    private static void assertSum(WeightTensor a, WeightTensor b, WeightTensor sum) {
        float[] x = a.toFloatArray(), y = b.toFloatArray(), s = sum.toFloatArray();
        for (int i = 0; i < s.length; i++) assertEquals(x[i] + y[i], s[i], 1e-5f, sum.name() + " at " + i);
    }

    @Test
    void hooksSelectsByCommaSeparatedGlobsAndTokensBypassTheTokenizer(@TempDir Path tmp) {
        Path out = tmp.resolve("t.safetensors");
        Cli.Result r = Cli.run("trace", "--model", Cli.demoModel().toString(), "--tokens", "256,0,255",
                "--hooks", "blocks.*.hook_resid_post,logits", "--out", out.toString(), "--device", "cpu");
        assertEquals(0, r.exit(), r.err());
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            assertEquals(List.of("blocks.0.hook_resid_post", "blocks.1.hook_resid_post", "blocks.2.hook_resid_post",
                    "blocks.3.hook_resid_post", "logits"), List.copyOf(f.names()));
            assertEquals("[256,0,255]", f.metadata().get("tokens"));
            assertEquals("[\"blocks.*.hook_resid_post\",\"logits\"]", f.metadata().get("hooks"));
            assertFalse(f.metadata().containsKey("prompt"));
        }
    }

    @Test
    void aGlobThatMatchesNothingNamesTheHooksThereAre(@TempDir Path tmp) {
        Path out = tmp.resolve("t.safetensors");
        Cli.Result r = Cli.run("trace", "--model", Cli.demoModel().toString(), "--tokens", "1,2",
                "--hooks", "logits,blocks.*.resid_post", "--out", out.toString(), "--device", "cpu");
        assertEquals(Main.FAILURE, r.exit());
        assertEquals(List.of("mesascope: --hooks blocks.*.resid_post matches no hook point of this model (it has"
                + " hook_embed, hook_pos_embed, blocks.{0..3}.hook_resid_pre, blocks.{0..3}.attn.hook_pattern, blocks.{0..3}.attn.hook_z,"
                + " blocks.{0..3}.hook_attn_out, blocks.{0..3}.hook_resid_mid, blocks.{0..3}.hook_mlp_out,"
                + " blocks.{0..3}.hook_resid_post, ln_final.hook_normalized, logits)"), r.errLines());
        assertEquals(List.of(), Cli.list(tmp));
    }
}
