package org.mesascope.core.hooks;

import org.mesascope.core.tensor.Tensor;

/**
 * What the forward pass sees of its listeners: a named place where a tensor passes. The pass calls
 * {@code x = hooks.at("blocks.3.hook_resid_post", x)} and knows nothing about who listens.
 */
public interface Hooks {
    /** Hands {@code value} to the interventions and sinks subscribed to {@code hook}; returns what the pass continues with. */
    Tensor at(String hook, Tensor value);

    /** Whether anyone listens to {@code hook}: lets the pass skip work (e.g. keeping the attention pattern). */
    boolean wants(String hook);

    /**
     * Whether an intervention may change {@code hook}'s value: a pass that copies activations asynchronously (the GPU
     * backend) must then wait for the result. Conservative default: anyone listening might.
     */
    default boolean intervenes(String hook) {
        return wants(hook);
    }

    Hooks NONE = new Hooks() {
        @Override
        public Tensor at(String hook, Tensor value) {
            return value;
        }

        @Override
        public boolean wants(String hook) {
            return false;
        }
    };
}
