package org.mesascope.gpu;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mesascope.core.MesascopeException;
import org.mesascope.core.backend.Backend;
import org.mesascope.core.backend.Precision;
import org.mesascope.core.io.HfWeights;
import org.mesascope.core.io.Weights;
import org.mesascope.core.model.ModelConfig;
import org.mesascope.core.reference.RandomCheckpoints;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every hook of the GPU pass within the contract of the CPU engine's, for the core tests' checkpoint variants. */
class GpuVsCpuTest {
    static final String NO_GPU = "no CUDA driver/GPU on this machine";
    private static Backend.Availability gpu;

    @BeforeAll
    static void probe() {
        gpu = new GpuBackend().probe();
    }

    /** Variants whose block recipe the GPU model has kernels for ({@link GpuModel#requireKernels}). */
    static List<RandomCheckpoints.Variant> variants() {
        List<RandomCheckpoints.Variant> out = new ArrayList<>();
        for (var v : RandomCheckpoints.all()) if (whyNotOnGpu(v) == null) out.add(v);
        for (var v : RandomCheckpoints.extras()) if (whyNotOnGpu(v) == null) out.add(v);
        return out;
    }

    /** Why {@code v} does not run on the GPU yet (GpuModel's one line), or null when it does. */
    static String whyNotOnGpu(RandomCheckpoints.Variant v) {
        try {
            String json = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(RandomCheckpoints.hfConfig(v));
            GpuModel.requireKernels(ModelConfig.fromJson(json, Path.of(v.name(), "config.json")));
            return null;
        } catch (MesascopeException e) {
            return e.getMessage();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    @ParameterizedTest
    @MethodSource("variants")
    void everyHookMatchesTheCpuEngine(RandomCheckpoints.Variant v, @TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(gpu.usable(), NO_GPU + " (" + gpu.description() + ")");
        RandomCheckpoints.write(dir, v, 7);
        ModelConfig c = ModelConfig.read(dir);
        try (Weights w = HfWeights.open(dir)) {
            for (Precision p : Precision.values()) {
                HookComparison.Outcome o = HookComparison.compare(v.name(), c, w, HookComparison.batch(c.vocabSize(), 13, 1), p, GpuContext.get());
                assertTrue(o.passed(), o.line());
            }
        }
    }
}
