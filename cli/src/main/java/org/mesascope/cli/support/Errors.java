package org.mesascope.cli.support;

import org.mesascope.core.MesascopeException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

/** Failures as the one line the command prints after "mesascope: ". */
public final class Errors {
    private Errors() {
    }

    /**
     * The cause of {@code e} in one line. A {@link MesascopeException} already names it; an I/O failure names the file;
     * anything else is a bug, reported by its type, with a pointer to --verbose unless the stack trace was printed.
     */
    public static String describe(Throwable e, boolean verbose) {
        if (e instanceof MesascopeException) return oneLine(e.getMessage());
        if (e instanceof UncheckedIOException u) return describe(u.getCause());
        if (e instanceof IOException io) return describe(io);
        String what = e.getMessage() == null ? e.getClass().getName() : e.getClass().getName() + ": " + e.getMessage();
        return "internal error: " + oneLine(what) + (verbose ? "" : " (rerun with --verbose for details)");
    }

    /** An I/O failure: the JDK's messages for the common ones are just the path, so the type says what happened. */
    public static String describe(IOException e) {
        if (e instanceof NoSuchFileException f) return "no such file or directory: " + f.getFile();
        if (e instanceof AccessDeniedException f) return "permission denied: " + f.getFile();
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return oneLine(f.getReason()) + ": " + f.getFile();
        }
        return "I/O error: " + oneLine(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
    }

    /** Line breaks and runs of white space as one space: an error is one line on the terminal. */
    public static String oneLine(String s) {
        return s == null ? "" : s.strip().replaceAll("\\s+", " ");
    }
}
