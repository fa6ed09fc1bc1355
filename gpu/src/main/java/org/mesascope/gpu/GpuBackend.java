package org.mesascope.gpu;

import org.mesascope.core.MesascopeException;
import org.mesascope.core.backend.Backend;
import org.mesascope.core.backend.Precision;
import org.mesascope.core.io.Weights;
import org.mesascope.core.model.LanguageModel;
import org.mesascope.core.model.ModelConfig;

/**
 * The CUDA backend, registered in META-INF/services for {@link java.util.ServiceLoader}. {@link #probe()} opens the
 * driver, the GPU and cuBLAS once; any missing piece (no libcuda.so.1, a driver older than CUDA 12.0, no GPU, no
 * libcublas.so.13/.12) makes it unusable with a one-line cause and no exception.
 */
public final class GpuBackend implements Backend {
    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public Availability probe() {
        try {
            return Availability.usable(GpuContext.get().describe());
        } catch (NativeLibrary.NativeUnavailable | MesascopeException e) {
            return Availability.unusable(e.getMessage());
        } catch (LinkageError | RuntimeException e) {
            // anything else the native side throws must not take the CPU path down with it
            return Availability.unusable("the CUDA backend failed to start: " + e);
        }
    }

    @Override
    public LanguageModel load(ModelConfig config, Weights weights, Precision precision) {
        return new GpuModel(GpuContext.get(), config, weights, precision);
    }
}
