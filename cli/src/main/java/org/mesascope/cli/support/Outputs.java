package org.mesascope.cli.support;

import org.mesascope.core.MesascopeException;
import org.mesascope.core.io.AtomicFile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Output files. Every file a command writes appears whole or not at all: it is written to a temp file in the target's
 * folder and renamed into place. Targets are checked before the work starts, so a bad path costs no computation.
 */
public final class Outputs {
    private Outputs() {
    }

    /** Fails with one line unless a file can be created at {@code out} (its folder exists and takes new files). */
    public static void checkWritable(Path out) {
        Path file = out.toAbsolutePath();
        if (Files.isDirectory(file)) throw cannotWrite(out, "it is a directory");
        Path dir = file.getParent();
        if (!Files.isDirectory(dir)) {
            throw cannotWrite(out, Files.exists(dir) ? dir + " is not a directory" : "directory " + dir + " does not exist");
        }
        try {
            Files.delete(Files.createTempFile(dir, ".mesascope-", ".tmp"));
        } catch (IOException e) {
            throw cannotWrite(out, e);
        }
    }

    /** Creates {@code dir} (and its parents) if needed, for commands that write several files. */
    public static Path directory(Path dir) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) throw cannotWrite(dir, "it exists and is not a directory");
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw cannotWrite(dir, e);
        }
    }

    /** Writes {@code text} (UTF-8) to {@code out} atomically. */
    public static void writeText(Path out, String text) {
        try {
            AtomicFile.write(out, stream -> stream.write(text.getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw cannotWrite(out, e);
        }
    }

    public static MesascopeException cannotWrite(Path out, IOException e) {
        return new MesascopeException("cannot write " + out + ": " + Errors.describe(e), e);
    }

    private static MesascopeException cannotWrite(Path out, String why) {
        return new MesascopeException("cannot write " + out + ": " + why);
    }

    /** models/ of the checkout the launcher runs from ({@code mesascope.home}), else of the current folder. */
    public static Path modelsDir() {
        String home = System.getProperty("mesascope.home");
        return (home == null ? Path.of("") : Path.of(home)).resolve("models");
    }
}
