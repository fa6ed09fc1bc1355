package org.mesascope.probes.patch;

import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.model.LanguageModel;
import org.mesascope.core.tensor.Tensor;

import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Hook values of one prompt's forward pass, batch dimension dropped ([T, d], or [T, heads, d_head] for
 * {@code attn.hook_z}), with the logits [T, vocab] of that pass: the values a patch copies from.
 */
public final class ActivationCache {
    private final int[] tokens;
    private final Map<String, Tensor> values;
    private final Tensor logits;

    /** {@code values}: hook name to its tensor for this one sequence, [T, ...]. */
    public ActivationCache(int[] tokens, Map<String, Tensor> values, Tensor logits) {
        this.tokens = tokens.clone();
        this.values = Map.copyOf(values);
        this.logits = logits;
        for (Map.Entry<String, Tensor> e : values.entrySet()) {
            // [T, ...] for everything a patch can copy; the attention pattern is [heads, T, T]
            if (PatchHooks.patchable(e.getKey()) && e.getValue().dim(0) != tokens.length) {
                throw new IllegalArgumentException(e.getKey() + " has " + e.getValue().dim(0) + " positions, the prompt "
                        + tokens.length);
            }
        }
    }

    /** Runs {@code tokens} through {@code model} once and keeps a copy of every hook in {@code hooks} (exact names). */
    public static ActivationCache run(LanguageModel model, int[] tokens, Collection<String> hooks) {
        Map<String, Tensor> kept = new LinkedHashMap<>();
        HookRegistry registry = new HookRegistry();
        Set<String> wanted = Set.copyOf(hooks);
        if (!wanted.isEmpty()) {
            registry.addSink("*", (hook, value, batch) -> {
                if (!wanted.contains(hook.name())) return;
                int[] shape = value.shape();
                // one sequence: the tensor's data is exactly [1, ...]; the engine may reuse it after the call
                kept.put(hook.name(), new Tensor(value.data().clone(), Arrays.copyOfRange(shape, 1, shape.length)));
            });
        }
        Tensor logits = model.forward(Batch.of(tokens), registry);
        if (!kept.keySet().equals(wanted)) {
            throw new IllegalStateException("the pass did not reach hooks " + wanted.stream().filter(h -> !kept.containsKey(h)).toList());
        }
        int[] s = logits.shape();
        return new ActivationCache(tokens, kept, logits.reshape(Arrays.copyOfRange(s, 1, s.length)));
    }

    public int[] tokens() {
        return tokens.clone();
    }

    public int length() {
        return tokens.length;
    }

    public boolean has(String hook) {
        return values.containsKey(hook);
    }

    /** The cached tensor of {@code hook}, [T, ...] (shared: do not modify). */
    public Tensor get(String hook) {
        Tensor t = values.get(hook);
        if (t == null) throw new IllegalArgumentException("hook " + hook + " is not in the cache (have " + values.keySet() + ")");
        return t;
    }

    public Set<String> hooks() {
        return values.keySet();
    }

    /** Logits [T, vocab]. */
    public Tensor logits() {
        return logits;
    }

    /** The metric at the last position. */
    public double metric(Metric metric, int answer, int wrong) {
        int vocab = logits.dim(1);
        return metric.of(logits.data(), (tokens.length - 1) * vocab, vocab, answer, wrong);
    }
}
