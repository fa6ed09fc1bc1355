package org.mesascope.core.backend;

import org.junit.jupiter.api.Test;
import org.mesascope.core.MesascopeException;
import org.mesascope.core.io.Weights;
import org.mesascope.core.model.LanguageModel;
import org.mesascope.core.model.ModelConfig;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackendsTest {
    /** A stand-in CUDA provider that answers what it is told. */
    record FakeCuda(Backend.Availability answer) implements Backend {
        @Override
        public String name() {
            return "cuda";
        }

        @Override
        public Availability probe() {
            return answer;
        }

        @Override
        public LanguageModel load(ModelConfig config, Weights weights, Precision precision) {
            throw new UnsupportedOperationException();
        }
    }

    @Test
    void cpuIsChosenSilently() {
        Backends.Choice c = Backends.choose(Backends.Request.CPU, List.of(new FakeCuda(Backend.Availability.usable("GPU"))));
        assertTrue(c.onCpu());
        assertNull(c.message());
    }

    @Test
    void autoFallsBackToTheCpuSayingWhyOnce() {
        Backends.Choice c = Backends.choose(Backends.Request.AUTO,
                List.of(new FakeCuda(Backend.Availability.unusable("no CUDA driver on this machine"))));
        assertTrue(c.onCpu());
        assertEquals("device auto: no CUDA driver on this machine, running on the CPU", c.message());
    }

    @Test
    void autoWithoutTheGpuModuleSaysSo() {
        Backends.Choice c = Backends.choose(Backends.Request.AUTO, List.of());
        assertTrue(c.onCpu());
        assertTrue(c.message().contains("no CUDA backend in this build"), c.message());
    }

    @Test
    void cudaFailsWithOneLine() {
        MesascopeException e = assertThrows(MesascopeException.class, () -> Backends.choose(Backends.Request.CUDA,
                List.of(new FakeCuda(Backend.Availability.unusable("no CUDA driver on this machine")))));
        assertEquals("--device cuda: no CUDA driver on this machine; use --device cpu", e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void usableGpuIsChosenByAutoAndCuda() {
        FakeCuda gpu = new FakeCuda(Backend.Availability.usable("NVIDIA H100 (sm_90)"));
        for (Backends.Request r : List.of(Backends.Request.AUTO, Backends.Request.CUDA)) {
            Backends.Choice c = Backends.choose(r, List.of(gpu));
            assertSame(gpu, c.backend());
            assertEquals("device " + r.name().toLowerCase() + ": NVIDIA H100 (sm_90)", c.message());
        }
    }

    @Test
    void precisionNames() {
        assertEquals(Precision.TF32, Precision.parse("tf32"));
        assertEquals(Precision.BF16, Precision.parse("BF16"));
        assertThrows(MesascopeException.class, () -> Precision.parse("fp8"));
    }
}
