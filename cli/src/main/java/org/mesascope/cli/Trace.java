package org.mesascope.cli;

import org.mesascope.core.hooks.HookNames;
import org.mesascope.core.MesascopeException;
import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.io.SafetensorsWriter;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.model.LanguageModel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** The hook values of one prompt's forward pass, in the order the pass computed them, batch dimension dropped. */
record Trace(List<Captured> tensors) {

    record Captured(String hook, float[] data, int[] shape) {
    }

    /**
     * Runs {@code tokens} through {@code model} and copies every hook matching one of {@code globs}.
     * @throws MesascopeException when a glob matches none of the model's hook points (the message lists them)
     */
    static Trace capture(LanguageModel model, int[] tokens, List<String> globs) {
        return capture(model, Batch.of(tokens), globs);
    }

    /** The same for any one-sequence batch (token ids, or vectors for a vector-input model). */
    static Trace capture(LanguageModel model, Batch input, List<String> globs) {
        List<String> names = model.hookNames();
        for (String glob : globs) {
            if (names.stream().noneMatch(h -> HookRegistry.matches(glob, h))) {
                throw new MesascopeException("--hooks " + glob + " matches no hook point of this model (it has "
                        + HookNames.summarize(names) + ")");
            }
        }
        List<Captured> captured = new ArrayList<>();
        // subscribed to the selected hooks only, so the pass skips what nobody asked for (e.g. attention patterns)
        HookRegistry hooks = new HookRegistry();
        Set<String> taken = new HashSet<>(); // a hook matched by two globs is copied once
        for (String glob : globs) {
            hooks.addSink(glob, (hook, value, batch) -> {
                if (!taken.add(hook.name())) return;
                int[] shape = value.shape();
                // the tensor is only valid during this call; one sequence, so its data is exactly [1, ...]
                captured.add(new Captured(hook.name(), value.data().clone(), Arrays.copyOfRange(shape, 1, shape.length)));
            });
        }
        model.forward(input, hooks);
        return new Trace(List.copyOf(captured));
    }

    /** Adds every tensor, named as its hook, to {@code out}. */
    void addTo(SafetensorsWriter out) {
        for (Captured c : tensors) out.add(c.hook, c.data, c.shape);
    }

    /** The tensors' size, e.g. "1.3 MB". */
    String size() {
        double bytes = tensors.stream().mapToLong(c -> 4L * c.data.length).sum();
        return bytes < 1e6 ? String.format(Locale.ROOT, "%.1f kB", bytes / 1e3) : String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }

}
