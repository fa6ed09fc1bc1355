package org.mesascope.core.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Files that appear whole or not at all: content goes to a temp file in the target's folder (a rename within one file
 * system is atomic), is forced to disk (a crash must not leave a complete-looking name over partial data), and is then
 * renamed over the target. On failure the temp file is deleted.
 */
public final class AtomicFile {
    private AtomicFile() {
    }

    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * A new empty file beside {@code target} with a hidden random name. Not {@code Files.createTempFile}: its owner-only
     * mode would survive the rename, and traces and reports are meant to be shared.
     */
    public static Path createTemp(Path target) throws IOException {
        Path file = target.toAbsolutePath();
        String random = Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
        return Files.createFile(file.resolveSibling("." + file.getFileName() + "." + random + ".tmp"));
    }

    /** Renames a finished temp file over {@code target} (atomically where the file system can). */
    public static void replace(Path temp, Path target) throws IOException {
        try {
            Files.move(temp, target.toAbsolutePath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, target.toAbsolutePath(), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Writes {@code content} to {@code target} through a temp file; the stream must not be closed by the content. */
    public static void write(Path target, Content content) throws IOException {
        Path temp = createTemp(target);
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                OutputStream out = Channels.newOutputStream(channel);
                content.writeTo(out);
                out.flush();
                channel.force(true);
            }
            replace(temp, target);
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed); // the original failure is what the user needs to see
            }
            throw e;
        }
    }
}
