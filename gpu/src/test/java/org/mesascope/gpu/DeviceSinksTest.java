package org.mesascope.gpu;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mesascope.core.backend.Backend;
import org.mesascope.core.reference.RandomCheckpoints;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The device-side logit lens, probe scores, steering and patching against the same done with the CPU engine. */
class DeviceSinksTest {
    @Test
    void lensAndProbeScoresMatchTheCpu(@TempDir Path dir) throws Exception {
        Backend.Availability gpu = new GpuBackend().probe();
        Assumptions.assumeTrue(gpu.usable(), GpuVsCpuTest.NO_GPU + " (" + gpu.description() + ")");
        for (RandomCheckpoints.Variant v : java.util.List.of(RandomCheckpoints.GPT2, RandomCheckpoints.LLAMA_GQA)) {
            Path d = RandomCheckpoints.write(dir.resolve(v.name()), v, 7);
            assertTrue(new DeviceCheck().checkDeviceSinks(v.name(), d, GpuContext.get()), v.name());
            assertTrue(new DeviceCheck().checkDeviceInterventions(v.name(), d, GpuContext.get()), v.name());
        }
    }
}
