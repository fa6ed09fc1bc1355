package org.mesascope.organisms;

import ai.djl.ndarray.NDArray;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * TorchAdamW (Loshchilov & Hutter 2019): Adam's moment estimates with the weight decay applied to the weights directly
 * rather than through the gradient. Written out instead of DJL's {@code Optimizer.adamW} because that one works on
 * {@code Parameter}s of DJL blocks, rescales and clips gradients by default, and would hide the update this class
 * states in five lines.
 *
 * <pre>
 *   m ← β₁m + (1−β₁)g,   v ← β₂v + (1−β₂)g²,   m̂ = m / (1−β₁ᵗ),   v̂ = v / (1−β₂ᵗ)
 *   θ ← θ − η (m̂ / (√v̂ + ε) + λθ)          (λ = 0 for biases and LayerNorm parameters)
 * </pre>
 */
final class TorchAdamW {
    private static final double BETA1 = 0.9, BETA2 = 0.99, EPS = 1e-8;

    private record Slot(NDArray param, NDArray m, NDArray v, boolean decayed) {
    }

    private final List<Slot> slots = new ArrayList<>();
    private final double weightDecay;
    private int t;

    /** Matrices (weights, embeddings) are decayed; vectors (biases, LayerNorm gains and shifts) are not, as in GPT-2. */
    TorchAdamW(Map<String, NDArray> parameters, double weightDecay) {
        this.weightDecay = weightDecay;
        for (NDArray p : parameters.values()) {
            slots.add(new Slot(p, p.zerosLike(), p.zerosLike(), p.getShape().dimension() >= 2));
        }
    }

    /**
     * One update with learning rate {@code lr} from the gradients of the last backward pass, which it then zeroes
     * (libtorch adds each backward pass to the gradients already there). Call outside a gradient collector, inside an
     * {@code NDScope} that frees the temporaries.
     */
    void step(double lr) {
        t++;
        double mCorrection = 1 - Math.pow(BETA1, t), vCorrection = 1 - Math.pow(BETA2, t);
        for (Slot s : slots) {
            NDArray g = s.param.getGradient();
            s.m.muli(BETA1).addi(g.mul(1 - BETA1));
            s.v.muli(BETA2).addi(g.square().mul(1 - BETA2));
            NDArray mHat = s.m.div(mCorrection), vHat = s.v.div(vCorrection);
            if (s.decayed) s.param.muli(1 - lr * weightDecay);
            s.param.subi(mHat.div(vHat.sqrt().add(EPS)).mul(lr));
            g.muli(0);
        }
    }
}
