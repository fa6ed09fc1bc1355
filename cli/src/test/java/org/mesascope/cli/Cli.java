package org.mesascope.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Runs {@code mesascope} in-process, as {@link Main#main} does, with stdout and stderr captured. */
public final class Cli {
    private Cli() {
    }

    public record Result(int exit, String out, String err) {
        public List<String> errLines() {
            return err.lines().toList();
        }
    }

    public static Result run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int exit = Main.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
        return new Result(exit, out.toString(), err.toString());
    }

    /** The committed random-weights checkpoint (surefire passes the repository root as mesascope.home). */
    public static Path demoModel() {
        return models().resolve("demo-random-gpt2");
    }

    /** models/ of the repository: the shipped organisms and the random-weights checkpoint. */
    public static Path models() {
        return Path.of(System.getProperty("mesascope.home")).resolve("models");
    }

    /** ../shared beside the repository (fixtures such as models/stories260k), passed by the root pom. */
    public static Path shared() {
        return Path.of(System.getProperty("mesascope.shared", "../../shared"));
    }

    /** A writable copy of the demo checkpoint in {@code dir}, for tests that change or break it. */
    public static Path demoCopy(Path dir) {
        try {
            Files.createDirectories(dir);
            try (Stream<Path> files = Files.list(demoModel())) {
                for (Path f : files.toList()) Files.copy(f, dir.resolve(f.getFileName()));
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Names in {@code dir}, including hidden ones (temp files an output would leave behind). */
    public static List<String> list(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
