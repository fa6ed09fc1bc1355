package org.mesascope.probes.ccs;

import com.fasterxml.jackson.annotation.JsonProperty;
import org.mesascope.core.MesascopeException;

/**
 * How CCS is trained: {@code restarts} runs from random unit-norm starting points, the lowest final loss kept; each run
 * {@code epochs} full-batch ArrayAdamW steps at {@code learningRate} with decoupled {@code weightDecay}; the restarts'
 * starting points drawn from {@code seed}. {@link #defaults()} are the paper's code's: 10 restarts of 1000 epochs,
 * learning rate 1e-2 and PyTorch's ArrayAdamW default weight decay 0.01.
 */
public record CcsOptions(int restarts, int epochs, @JsonProperty("learning_rate") double learningRate,
                         @JsonProperty("weight_decay") double weightDecay, long seed) {
    public CcsOptions {
        if (restarts < 1) throw new MesascopeException("CCS needs at least one restart, got " + restarts);
        if (epochs < 1) throw new MesascopeException("CCS needs at least one epoch, got " + epochs);
        if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
            throw new MesascopeException("the CCS learning rate must be positive, got " + learningRate);
        }
        if (!(weightDecay >= 0) || !Double.isFinite(weightDecay)) {
            throw new MesascopeException("the CCS weight decay must be non-negative, got " + weightDecay);
        }
    }

    public static CcsOptions defaults() {
        return new CcsOptions(10, 1000, 1e-2, 1e-2, 0);
    }

    public CcsOptions withRestarts(int restarts) {
        return new CcsOptions(restarts, epochs, learningRate, weightDecay, seed);
    }

    public CcsOptions withSeed(long seed) {
        return new CcsOptions(restarts, epochs, learningRate, weightDecay, seed);
    }

    public CcsOptions withEpochs(int epochs) {
        return new CcsOptions(restarts, epochs, learningRate, weightDecay, seed);
    }
}
