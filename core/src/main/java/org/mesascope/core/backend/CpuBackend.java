package org.mesascope.core.backend;

import org.mesascope.core.io.Weights;
import org.mesascope.core.model.LanguageModel;
import org.mesascope.core.model.ModelConfig;
import org.mesascope.core.model.Models;

/** Core's own engine: always usable, always fp32 (other precisions are the same computation). */
public final class CpuBackend implements Backend {
    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public Availability probe() {
        return Availability.usable("CPU engine (" + Runtime.getRuntime().availableProcessors() + " cores)");
    }

    @Override
    public LanguageModel load(ModelConfig config, Weights weights, Precision precision) {
        return Models.build(config, weights);
    }
}
