package org.mesascope.core.backend;

import org.mesascope.core.MesascopeException;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * Chooses the backend for {@code --device cpu|cuda|auto}. Providers come from {@link ServiceLoader}
 * ({@code META-INF/services/org.mesascope.core.backend.Backend}); the CPU engine is always there.
 */
public final class Backends {
    private Backends() {
    }

    /** What {@code --device} asked for. */
    public enum Request {
        CPU, CUDA, AUTO
    }

    /**
     * The chosen backend and the one line to tell the user (null when there is nothing to say: an explicit
     * {@code --device cpu}).
     */
    public record Choice(Backend backend, String message) {
        public boolean onCpu() {
            return backend instanceof CpuBackend;
        }
    }

    /** Backends other than the CPU found on the class path, in ServiceLoader order. */
    public static List<Backend> providers() {
        List<Backend> found = new ArrayList<>();
        try {
            for (Backend b : ServiceLoader.load(Backend.class, Backends.class.getClassLoader())) {
                if (!(b instanceof CpuBackend)) found.add(b);
            }
        } catch (ServiceConfigurationError e) {
            // a broken provider (e.g. built for another Java) must not stop the CPU path; auto reports it below
            return List.of();
        }
        return found;
    }

    public static Choice choose(Request request) {
        return choose(request, providers());
    }

    /**
     * CPU: the CPU engine, silently. CUDA: the "cuda" provider if it can run here, else a {@link MesascopeException}
     * whose message is the one-line cause. AUTO: the "cuda" provider when usable (saying which device), else the CPU
     * engine, saying why once.
     */
    public static Choice choose(Request request, List<Backend> providers) {
        if (request == Request.CPU) return new Choice(new CpuBackend(), null);
        Backend cuda = null;
        for (Backend b : providers) {
            if (b.name().equals("cuda")) cuda = b;
        }
        Backend.Availability a = cuda == null
                ? Backend.Availability.unusable("no CUDA backend in this build (the mesascope-gpu module is not on the class path)")
                : cuda.probe();
        if (a.usable()) return new Choice(cuda, "device " + request.name().toLowerCase() + ": " + a.description());
        if (request == Request.CUDA) throw new MesascopeException("--device cuda: " + a.description() + "; use --device cpu");
        return new Choice(new CpuBackend(), "device auto: " + a.description() + ", running on the CPU");
    }
}
