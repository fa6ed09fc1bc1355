package org.mesascope.ui;

import org.mesascope.core.hooks.HookRegistry;

import java.util.concurrent.CancellationException;
import java.util.function.Consumer;

/**
 * Stops a forward pass from outside: a sink on every hook point throws {@link CancellationException} once
 * {@link #cancel} was called, so a pass ends at the next hook (between layers), not only when it finishes. The same
 * sink counts hooks, which is how a run reports its progress.
 */
public final class Cancellation {
    private volatile boolean cancelled;
    private volatile HookListener listener = hook -> {};

    /** Told of every hook a watched pass reaches, on the worker thread (tests use it to hold a run mid-way). */
    @FunctionalInterface
    public interface HookListener {
        void reached(String hook);
    }

    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled;
    }

    public void setListener(HookListener listener) {
        this.listener = listener;
    }

    /** Throws if cancelled: call between passes. */
    public void check() {
        if (cancelled) throw new CancellationException("cancelled");
    }

    /** {@code registry} with the cancelling sink on every hook; {@code onHook} gets each hook's name (for progress). */
    public HookRegistry watch(HookRegistry registry, Consumer<String> onHook) {
        return registry.addSink("*", (hook, value, batch) -> {
            listener.reached(hook.name());
            check();
            onHook.accept(hook.name());
        });
    }
}
