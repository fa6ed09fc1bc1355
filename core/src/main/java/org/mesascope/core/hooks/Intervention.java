package org.mesascope.core.hooks;

import org.mesascope.core.tensor.Batch;
import org.mesascope.core.tensor.Tensor;

/**
 * A hook that may change the forward pass: it returns the tensor the pass continues with (the same object,
 * modified in place, or a new tensor of the same shape). Patching, ablation and steering are interventions.
 */
@FunctionalInterface
public interface Intervention {
    Tensor apply(HookPoint hook, Tensor value, Batch batch);
}
