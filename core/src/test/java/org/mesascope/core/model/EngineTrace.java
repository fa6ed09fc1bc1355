package org.mesascope.core.model;

import org.mesascope.core.tensor.Batch;
import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Test helper: every hook of one engine pass, copied per sequence with the padding cut off. */
final class EngineTrace {
    /** hooks.get(b).get(name): sequence b's tensor, batch dimension dropped, positions [0, length(b)). */
    final List<Map<String, Tensor>> hooks = new ArrayList<>();
    /** Hook names in the order the sinks saw them (each once). */
    final List<String> order = new ArrayList<>();
    final Tensor logits;

    EngineTrace(LanguageModel model, Batch batch, HookRegistry extra) {
        for (int b = 0; b < batch.size(); b++) hooks.add(new LinkedHashMap<>());
        HookRegistry registry = extra == null ? new HookRegistry() : extra;
        registry.addSink("*", (name, value, bt) -> {
            order.add(name.name());
            for (int b = 0; b < bt.size(); b++) hooks.get(b).put(name.name(), unpad(name.name(), value.select(b), bt.length(b)));
        });
        logits = model.forward(batch, registry);
    }

    static EngineTrace run(LanguageModel model, int[]... sequences) {
        return new EngineTrace(model, Batch.of(sequences), null);
    }

    Map<String, Tensor> only() {
        return hooks.getFirst();
    }

    /** [T, ...] → [len, ...]; patterns [heads, T, T] → [heads, len, len]. */
    static Tensor unpad(String name, Tensor x, int len) {
        int[] s = x.shape();
        if (name.endsWith("hook_pattern")) {
            int heads = s[0], t = s[1], tk = s[2];
            float[] out = new float[heads * len * len];
            for (int h = 0; h < heads; h++)
                for (int i = 0; i < len; i++)
                    System.arraycopy(x.data(), (h * t + i) * tk, out, (h * len + i) * len, len);
            return new Tensor(out, heads, len, len);
        }
        int inner = x.size() / s[0];
        s[0] = len;
        return new Tensor(java.util.Arrays.copyOf(x.data(), len * inner), s);
    }
}
