package org.mesascope.gpu;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A shared library opened through the FFM API (dlopen by soname, so LD_LIBRARY_PATH and the ld cache apply), the
 * first of several candidate names that loads. Symbols are looked up on first use, so a library that lacks a
 * function we never call still works, and a missing one fails with the function's name.
 */
final class NativeLibrary {
    private static final Linker LINKER = Linker.nativeLinker();

    private final String soname;
    private final SymbolLookup lookup;
    private final Map<String, MethodHandle> handles = new ConcurrentHashMap<>();

    private NativeLibrary(String soname, SymbolLookup lookup) {
        this.soname = soname;
        this.lookup = lookup;
    }

    /**
     * The first of {@code candidates} that loads, kept open for the life of the JVM.
     * @throws NativeUnavailable naming every candidate tried, when none loads
     */
    static NativeLibrary open(String what, List<String> candidates) {
        StringBuilder tried = new StringBuilder();
        for (String name : candidates) {
            try {
                return new NativeLibrary(name, SymbolLookup.libraryLookup(name, Arena.global()));
            } catch (IllegalArgumentException | IllegalCallerException e) {
                // IllegalCallerException: native access is denied (--illegal-native-access=deny without the flag)
                if (e instanceof IllegalCallerException) {
                    throw new NativeUnavailable("native access is not enabled for " + what
                            + " (run java with --enable-native-access=ALL-UNNAMED)");
                }
                if (!tried.isEmpty()) tried.append(", ");
                tried.append(name);
            }
        }
        throw new NativeUnavailable("no " + what + " on this machine (" + tried + " not found)");
    }

    String soname() {
        return soname;
    }

    boolean has(String symbol) {
        return lookup.find(symbol).isPresent();
    }

    MethodHandle function(String symbol, FunctionDescriptor descriptor) {
        return handles.computeIfAbsent(symbol, s -> {
            MemorySegment address = lookup.find(s).orElseThrow(
                    () -> new NativeUnavailable(soname + " has no function " + s + " (too old a version?)"));
            return LINKER.downcallHandle(address, descriptor);
        });
    }

    /** Calls {@code symbol}, a function that returns a status code (0: success), and gives back that code. */
    int call(String symbol, FunctionDescriptor descriptor, Object... args) {
        try {
            return (int) function(symbol, descriptor).invokeWithArguments(args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(symbol + ": " + t, t);
        }
    }

    /** A native library or symbol this machine lacks: the message is the one-line cause users see. */
    static final class NativeUnavailable extends RuntimeException {
        NativeUnavailable(String message) {
            super(message);
        }
    }
}
