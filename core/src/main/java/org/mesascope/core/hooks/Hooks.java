package org.mesascope.core.hooks;

import org.mesascope.core.tensor.Tensor;

/**
 * What the forward pass sees of its listeners: typed places where a tensor passes. The pass calls
 * {@code x = hooks.at(HookPoint.residPost(3), x)} and knows nothing about who listens.
 */
public interface Hooks {
    /** Hands {@code value} to the interventions and sinks subscribed to {@code point}; returns what the pass continues with. */
    Tensor at(HookPoint point, Tensor value);

    /** Whether anyone listens to {@code point}: lets the pass skip work (e.g. keeping the attention pattern). */
    boolean wants(HookPoint point);

    /**
     * Whether an intervention may change {@code point}'s value: a pass that copies activations asynchronously (the GPU
     * backend) must then wait for the result. Conservative default: anyone listening might.
     */
    default boolean intervenes(HookPoint point) {
        return wants(point);
    }

    Hooks NONE = new Hooks() {
        @Override
        public Tensor at(HookPoint point, Tensor value) {
            return value;
        }

        @Override
        public boolean wants(HookPoint point) {
            return false;
        }
    };
}
