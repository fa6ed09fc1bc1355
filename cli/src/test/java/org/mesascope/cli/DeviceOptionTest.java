package org.mesascope.cli;

import org.junit.jupiter.api.Test;
import org.mesascope.core.backend.Backend;
import org.mesascope.core.backend.Backends;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** --device auto|cuda with the gpu module on the class path (a run-time dependency), on whatever machine runs this. */
public class DeviceOptionTest {
    /** What --device auto says once on this machine: the CPU fall-back's cause, or that a GPU is there but unused. */
    public static String autoLine() {
        Backends.Choice c = Backends.choose(Backends.Request.AUTO);
        if (c.onCpu()) return c.message();
        return "device auto: " + c.backend().probe().description()
                + ", but commands do not run on the CUDA backend yet, running on the CPU";
    }

    @Test
    void theGpuModuleIsFoundAtRunTime() {
        List<Backend> providers = Backends.providers();
        assertEquals(List.of("cuda"), providers.stream().map(Backend::name).toList());
    }

    @Test
    void autoRunsOnTheCpuAndSaysWhyOnce() {
        Cli.Result r = Cli.run("lens", "--model", Cli.demoModel().toString(), "--tokens", "1,2,3", "--device", "auto");
        assertEquals(0, r.exit(), r.err());
        assertEquals(List.of(autoLine()), r.errLines());
        assertTrue(autoLine().endsWith(", running on the CPU"), autoLine());
        assertFalse(r.out().isEmpty());
    }

    @Test
    void cudaFailsWithOneLineWhenThereIsNoUsableGpu() {
        Cli.Result r = Cli.run("lens", "--model", Cli.demoModel().toString(), "--tokens", "1,2,3", "--device", "cuda");
        assertNotEquals(0, r.exit());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().contains("--device cuda: "), r.err());
        assertTrue(r.err().strip().endsWith("use --device cpu"), r.err());
        assertTrue(r.out().isEmpty(), r.out());
    }
}
