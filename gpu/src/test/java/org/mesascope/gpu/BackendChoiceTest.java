package org.mesascope.gpu;

import org.junit.jupiter.api.Test;
import org.mesascope.core.MesascopeException;
import org.mesascope.core.backend.Backend;
import org.mesascope.core.backend.Backends;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The real provider, found through ServiceLoader, on whatever machine the tests run (both outcomes are checked). */
class BackendChoiceTest {
    @Test
    void serviceLoaderFindsTheCudaBackend() {
        List<Backend> providers = Backends.providers();
        assertEquals(1, providers.size());
        assertInstanceOf(GpuBackend.class, providers.getFirst());
        assertEquals("cuda", providers.getFirst().name());
    }

    @Test
    void autoAndCudaOnThisMachine() {
        Backend.Availability a = new GpuBackend().probe();
        assertFalse(a.description().contains("\n"), a.description());
        if (a.usable()) {
            assertFalse(Backends.choose(Backends.Request.AUTO).onCpu());
            assertFalse(Backends.choose(Backends.Request.CUDA).onCpu());
            return;
        }
        // no GPU here: auto runs on the CPU and says why, cuda fails with the same cause on one line
        Backends.Choice auto = Backends.choose(Backends.Request.AUTO);
        assertTrue(auto.onCpu());
        assertEquals("device auto: " + a.description() + ", running on the CPU", auto.message());
        MesascopeException e = assertThrows(MesascopeException.class, () -> Backends.choose(Backends.Request.CUDA));
        assertEquals("--device cuda: " + a.description() + "; use --device cpu", e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        // a second probe gives the same answer without retrying the driver
        assertEquals(a, new GpuBackend().probe());
    }

    @Test
    void aMissingLibraryIsOneReadableLine() {
        NativeLibrary.NativeUnavailable e = assertThrows(NativeLibrary.NativeUnavailable.class,
                () -> NativeLibrary.open("test library", List.of("libmesascope-nope.so.9", "libmesascope-nope.so")));
        assertEquals("no test library on this machine (libmesascope-nope.so.9, libmesascope-nope.so not found)", e.getMessage());
    }

    @Test
    void aMissingSymbolNamesTheFunction() {
        NativeLibrary libc = NativeLibrary.open("C library", List.of("libc.so.6"));
        assertTrue(libc.has("strlen"));
        NativeLibrary.NativeUnavailable e = assertThrows(NativeLibrary.NativeUnavailable.class,
                () -> libc.function("cuNoSuchFunction", java.lang.foreign.FunctionDescriptor.ofVoid()));
        assertEquals("libc.so.6 has no function cuNoSuchFunction (too old a version?)", e.getMessage());
    }
}
