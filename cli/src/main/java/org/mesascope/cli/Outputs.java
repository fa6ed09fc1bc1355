package org.mesascope.cli;

import org.mesascope.core.MesascopeException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Output files. Every file a command writes appears whole or not at all: it is written to a temp file in the target's
 * folder and renamed into place. Targets are checked before the work starts, so a bad path costs no computation.
 */
final class Outputs {
    private Outputs() {
    }

    /** Fails with one line unless a file can be created at {@code out} (its folder exists and takes new files). */
    static void checkWritable(Path out) {
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
    static Path directory(Path dir) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) throw cannotWrite(dir, "it exists and is not a directory");
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw cannotWrite(dir, e);
        }
    }

    /** Writes {@code text} (UTF-8) to {@code out} atomically. */
    static void writeText(Path out, String text) {
        Path file = out.toAbsolutePath();
        Path tmp = null;
        try {
            // not Files.createTempFile: its owner-only mode would survive the rename, and reports are meant to be shared
            String random = Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
            tmp = Files.createFile(file.resolveSibling("." + file.getFileName() + "." + random + ".tmp"));
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
                while (bytes.hasRemaining()) ch.write(bytes);
                // on disk before the rename: a crash must not leave a complete-looking name over partial data
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw cannotWrite(out, e);
        }
    }

    static MesascopeException cannotWrite(Path out, IOException e) {
        return new MesascopeException("cannot write " + out + ": " + Errors.describe(e), e);
    }

    private static MesascopeException cannotWrite(Path out, String why) {
        return new MesascopeException("cannot write " + out + ": " + why);
    }

    /** Removes a temp file after a failure; the failure is what gets reported, not a second one while cleaning up. */
    private static void deleteQuietly(Path tmp) {
        if (tmp == null) return;
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
            // the original error is more useful to the user than this one
        }
    }
}
