package org.mesascope.gpu;

import org.mesascope.core.backend.Precision;
import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.io.Weights;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.model.LanguageModel;
import org.mesascope.core.model.ModelConfig;
import org.mesascope.core.model.Models;
import org.mesascope.core.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Every hook of the GPU pass against the CPU engine's (DESIGN.md's contract): relative error ‖gpu−cpu‖/‖cpu‖ over the
 * real (non-padding) positions of each hook, at most 1e-4 (fp32), 1e-3 (tf32) or 2e-2 (bf16, which must also agree
 * on the top-1 token at >= 99% of positions). NaN never passes. Used by GpuVsCpuTest and by DeviceCheck.
 */
final class HookComparison {
    private HookComparison() {
    }

    record HookError(String hook, double relative) {
    }

    record Outcome(String model, Precision precision, List<HookError> errors, double top1Agreement, double tolerance,
                   List<String> missing) {
        HookError worst() {
            HookError w = errors.getFirst();
            for (HookError e : errors) if (!(e.relative() <= w.relative())) w = e;
            return w;
        }

        boolean passed() {
            if (!missing.isEmpty() || errors.isEmpty()) return false;
            for (HookError e : errors) if (!(e.relative() <= tolerance)) return false; // NaN fails here
            return precision != Precision.BF16 || top1Agreement >= 0.99;
        }

        String line() {
            HookError w = worst();
            return String.format("%-22s %-4s %s  %d hooks, worst %s %.2e (limit %.0e), top-1 agreement %.4f%s",
                    model, precision.name().toLowerCase(), passed() ? "PASS" : "FAIL", errors.size(), w.hook(),
                    w.relative(), tolerance, top1Agreement, missing.isEmpty() ? "" : ", missing hooks " + missing);
        }
    }

    static double tolerance(Precision p) {
        return switch (p) {
            case FP32 -> 1e-4;
            case TF32 -> 1e-3;
            case BF16 -> 2e-2;
        };
    }

    /** Sequences of different lengths (so padding is exercised), ids below {@code vocab}. */
    static Batch batch(int vocab, int maxLength, long seed) {
        Random r = new Random(seed);
        int[] lengths = {Math.min(maxLength, 13), Math.min(maxLength, 7), Math.min(maxLength, 10)};
        int[][] seqs = new int[lengths.length][];
        for (int b = 0; b < lengths.length; b++) {
            seqs[b] = new int[lengths[b]];
            for (int t = 0; t < lengths[b]; t++) seqs[b][t] = r.nextInt(vocab);
        }
        return Batch.of(seqs);
    }

    /** Every hook's values at real positions, in the order the pass reached them. */
    static Map<String, float[]> capture(LanguageModel m, Batch batch) {
        Map<String, float[]> out = new LinkedHashMap<>();
        HookRegistry hooks = new HookRegistry().addSink("*", (hook, value, b) -> out.put(hook.name(), realPositions(hook.name(), value, b)));
        m.forward(batch, hooks);
        return out;
    }

    /** [B, T, ...] rows with t < length(b); attention patterns [B, H, T, T] with both t and s < length(b). */
    static float[] realPositions(String hook, Tensor value, Batch batch) {
        int[] s = value.shape();
        float[] v = value.data();
        List<Float> kept = new ArrayList<>();
        if (hook.endsWith("hook_pattern")) {
            int heads = s[1], width = s[2], keys = s[3];
            for (int b = 0; b < s[0]; b++)
                for (int h = 0; h < heads; h++)
                    for (int t = 0; t < batch.length(b); t++)
                        for (int k = 0; k < batch.length(b); k++) kept.add(v[((b * heads + h) * width + t) * keys + k]);
        } else {
            int width = s[1], inner = v.length / (s[0] * width);
            for (int b = 0; b < s[0]; b++)
                for (int t = 0; t < batch.length(b); t++)
                    for (int i = 0; i < inner; i++) kept.add(v[(b * width + t) * inner + i]);
        }
        float[] a = new float[kept.size()];
        for (int i = 0; i < a.length; i++) a[i] = kept.get(i);
        return a;
    }

    static double relativeError(float[] got, float[] want) {
        if (got.length != want.length) return Double.NaN;
        double diff = 0, norm = 0;
        for (int i = 0; i < got.length; i++) {
            double d = (double) got[i] - want[i];
            diff += d * d;
            norm += (double) want[i] * want[i];
        }
        return norm == 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
    }

    /** Share of real positions whose argmax logit is the same. */
    static double top1Agreement(float[] got, float[] want, int vocab) {
        int n = want.length / vocab, same = 0;
        for (int p = 0; p < n; p++) {
            if (argmax(got, p * vocab, vocab) == argmax(want, p * vocab, vocab)) same++;
        }
        return n == 0 ? 0 : (double) same / n;
    }

    private static int argmax(float[] x, int from, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (x[from + i] > x[from + best]) best = i;
        return best;
    }

    static Outcome compare(String name, ModelConfig c, Weights w, Batch batch, Precision p, GpuContext g) {
        Map<String, float[]> cpu = capture(Models.build(c, w), batch);
        Map<String, float[]> gpu;
        try (GpuModel m = new GpuModel(g, c, w, p)) {
            gpu = capture(m, batch);
        }
        List<HookError> errors = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, float[]> e : cpu.entrySet()) {
            float[] got = gpu.get(e.getKey());
            if (got == null) missing.add(e.getKey());
            else errors.add(new HookError(e.getKey(), relativeError(got, e.getValue())));
        }
        List<String> order = new ArrayList<>(gpu.keySet());
        if (!order.equals(new ArrayList<>(cpu.keySet())) && missing.isEmpty()) missing.add("(hooks in another order: " + order + ")");
        double top1 = top1Agreement(gpu.getOrDefault("logits", new float[0]), cpu.get("logits"), c.vocabSize());
        return new Outcome(name, p, errors, top1, tolerance(p), missing);
    }
}
