package org.mesascope.cli;

import org.mesascope.cli.support.Errors;
import org.mesascope.cli.support.CommandContext;
import org.mesascope.cli.demo.DemoCommand;
import org.mesascope.core.MesascopeException;
import org.mesascope.core.backend.Backends;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.concurrent.Callable;

/**
 * The {@code mesascope} command. Exit codes: 0 success, 1 failure (one line on stderr: the cause), 2 usage error.
 * {@link #commandLine} builds the configured parser, so tests run commands in-process exactly as {@link #main} does.
 */
@Command(name = "mesascope", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Look inside transformer language models: trace hook points, read the logit lens, generate.",
        subcommands = {DemoCommand.class, TraceCommand.class, LensCommand.class, GenerateCommand.class, BenchCommand.class,
                OrganismsCommand.class, ScanCommand.class, ScanSeedsCommand.class, SteerCommand.class, PatchCommand.class,
                TunedLensCommand.class, ActivationsCommand.class, ProbeCommand.class},
        footer = {"", "Run `mesascope COMMAND --help` for a command's options."})
public final class Main implements Callable<Integer>, CommandContext {
    public static final int FAILURE = 1;
    public static final int USAGE = 2;

    // INHERIT: these may be given before or after the subcommand name; picocli sets them on this object either way
    @Option(names = "--device", scope = ScopeType.INHERIT, defaultValue = "auto", paramLabel = "DEVICE",
            description = "cpu, auto (CUDA when present, else the CPU) or cuda (default: ${DEFAULT-VALUE})")
    Device device;

    @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "print the stack trace of an error")
    boolean verbose;

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        int code;
        try {
            code = commandLine(out, err).execute(args);
        } catch (OutOfMemoryError e) {
            // an Error is not handed to the execution exception handler; this is the one a user can act on
            err.println("mesascope: out of memory: the model and its activations do not fit in the Java heap"
                    + " (raise it, e.g. MESASCOPE_JAVA_OPTS=-Xmx32g)");
            code = FAILURE;
        }
        out.flush();
        err.flush();
        System.exit(code);
    }

    /** The parser with Mesascope's error handling: usage errors and failures each print exactly one line on {@code err}. */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        Main main = new Main();
        CommandLine cl = new CommandLine(main);
        EnumOption.registerAll(cl);
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((e, args) -> {
            String command = e.getCommandLine().getCommandSpec().qualifiedName();
            // picocli starts some messages with "Error: "; the "mesascope: " prefix already says it
            String message = Errors.oneLine(e.getMessage()).replaceFirst("^Error: ", "");
            err.println("mesascope: " + message + " (see `" + command + " --help`)");
            return USAGE;
        });
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (main.verbose) e.printStackTrace(err);
            err.println("mesascope: " + Errors.describe(e, main.verbose));
            return FAILURE;
        });
        return cl;
    }

    /** {@code mesascope} alone: the list of commands, and a usage error. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return USAGE;
    }

    @Override
    public PrintWriter out() {
        return spec.commandLine().getOut();
    }

    @Override
    public PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /**
     * Picks the device for the forward passes about to run; each command calls it once, so auto's fall-back to the CPU
     * is said once. Commands call it after their input is checked, so that a bad input still gets exactly one line.
     */
    @Override
    public void selectDevice() {
        // the CUDA backend (module gpu) is found at run time through ServiceLoader; without a GPU or driver, auto runs
        // on the CPU saying why and cuda fails with that cause (Backends.choose throws the one-line message)
        Backends.Choice choice = Backends.choose(switch (device) {
            case CPU -> Backends.Request.CPU;
            case AUTO -> Backends.Request.AUTO;
            case CUDA -> Backends.Request.CUDA;
        });
        if (choice.onCpu()) {
            if (choice.message() != null) err().println(choice.message());
            return;
        }
        // a usable GPU, but the commands still build their models with the CPU engine (issue 9: not wired yet)
        String found = choice.backend().probe().description();
        if (device == Device.CUDA) {
            throw new MesascopeException("--device cuda: " + found + ", but commands do not run on the CUDA backend yet; use --device cpu");
        }
        err().println("device auto: " + found + ", but commands do not run on the CUDA backend yet, running on the CPU");
    }

    /** "mesascope 0.1.0 (Java 25.0.3)": the build's version from version.properties, filtered by Maven. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
                if (in != null) p.load(in);
            }
            return new String[]{"mesascope " + p.getProperty("version", "(unknown version)")
                    + " (Java " + Runtime.version() + ")"};
        }
    }
}
