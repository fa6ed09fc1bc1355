package org.mesascope.cli;

import org.mesascope.cli.demo.DemoCheckpoint;
import org.mesascope.core.hooks.HookPoint;
import org.mesascope.cli.bench.ForwardBench;
import org.mesascope.core.MesascopeException;
import org.mesascope.core.cpu.Gemm;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.ModelConfig;
import org.mesascope.core.model.Models;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code mesascope bench forward}: on a generated GPT-2- or Llama-shaped checkpoint, in one run, the CPU forward pass
 * with the resid hooks and then every hook streamed to a sink that reads every value; the same passes in libtorch
 * (the peer, copying the same hooks into Java arrays); a plain GEMM of the MLP's shape in both. Prints each row's
 * median, tokens/s, GFLOP/s, memory, the Mesascope/libtorch ratios and Markdown rows for docs/benchmarks.md
 * (see {@link ForwardBench}).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Benchmarks. `bench forward`: CPU forward pass throughput with hooks streamed to a summing sink, against libtorch.",
                "`bench kernels`: JMH benchmarks of the CPU engine's GEMM (both paths) and attention."})
final class BenchCommand implements Callable<Integer> {
    /** The shapes --shape names. */
    private static final Map<String, DemoCheckpoint.Shape> SHAPES = new LinkedHashMap<>();

    static {
        SHAPES.put("gpt2-small", DemoCheckpoint.GPT2_SMALL);
        SHAPES.put("llama-350m", DemoCheckpoint.LLAMA_350M);
        SHAPES.put("demo", DemoCheckpoint.DEMO);
        SHAPES.put("llama-demo", DemoCheckpoint.LLAMA_DEMO);
    }

    /** The first row's hooks by default; the second row streams every hook. */
    static final String RESID = HookPoint.EVERY_RESID;
    static final String ALL = "*";

    @ParentCommand
    Main main;

    @Spec
    CommandSpec spec;

    @picocli.CommandLine.Parameters(index = "0", paramLabel = "WHAT", description = "forward or kernels")
    String what;

    @Option(names = "--include", defaultValue = "org.mesascope.cli.bench.kernels.",
            description = "kernels: a regular expression over the JMH benchmark names (default: all of them)")
    String include;

    @Option(names = "--param", paramLabel = "NAME=V1,V2",
            description = "kernels: restrict a benchmark parameter, e.g. --param path=openblas --param tokens=1024")
    List<String> params;

    @Option(names = "--forks", defaultValue = "1", description = "kernels: JVMs forked per benchmark (0: in this one) (default: ${DEFAULT-VALUE})")
    int forks;

    @Option(names = "--time-ms", defaultValue = "1000", description = "kernels: length of each warm-up and measured iteration (default: ${DEFAULT-VALUE})")
    int timeMs;

    @Option(names = "--shape", defaultValue = "gpt2-small",
            description = "gpt2-small (124M), llama-350m (355M: GQA 16/4 heads, SwiGLU), demo or llama-demo (tiny) (default: ${DEFAULT-VALUE})")
    String shape;

    @Option(names = "--layers", description = "override the shape's number of layers (e.g. 6, 12, 24 for the memory runs)")
    Integer layers;

    @Option(names = "--batch", defaultValue = "1", description = "sequences per pass (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--tokens", defaultValue = "128", description = "tokens per sequence (default: ${DEFAULT-VALUE})")
    int tokens;

    @Option(names = "--hooks", defaultValue = RESID,
            description = "hooks streamed to the sink in the first row; the second row streams every hook (default: ${DEFAULT-VALUE})")
    String hooks;

    @Option(names = "--peer", defaultValue = "libtorch",
            description = "libtorch: also time the same passes and GEMM in libtorch (DJL's PyTorch engine); none: Mesascope only (default: ${DEFAULT-VALUE})")
    String peer;

    @Option(names = "--gemm", split = ",", paramLabel = "PATH",
            description = "Mesascope's GEMM paths to time, each a row: java (Vector API kernel), openblas (default: both where OpenBLAS loads, else java)")
    List<String> gemm;

    @Option(names = "--warmup", defaultValue = "2", description = "untimed passes first, per row (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--runs", defaultValue = "5", description = "timed passes per row; rows report the median (default: ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--dir", description = "where the generated checkpoint is kept between runs (default: target/bench/SHAPE[-NL] under the project, else the temp dir)")
    Path dir;

    @Override
    public Integer call() {
        if (what.equals("kernels")) return kernels();
        if (!what.equals("forward")) throw new ParameterException(spec.commandLine(), "unknown benchmark '" + what + "' (known: forward, kernels)");
        DemoCheckpoint.Shape s = SHAPES.get(shape);
        if (s == null) {
            throw new ParameterException(spec.commandLine(), "unknown shape '" + shape + "' (known: " + String.join(", ", SHAPES.keySet()) + ")");
        }
        if (!peer.equals("libtorch") && !peer.equals("none")) {
            throw new ParameterException(spec.commandLine(), "unknown --peer '" + peer + "' (known: libtorch, none)");
        }
        if (batch < 1 || tokens < 1 || runs < 1 || warmup < 0) {
            throw new ParameterException(spec.commandLine(), "--batch, --tokens and --runs must be positive, --warmup not negative");
        }
        if (layers != null && layers < 1) throw new ParameterException(spec.commandLine(), "--layers must be positive");
        if (tokens > s.positions()) throw new ParameterException(spec.commandLine(), "--tokens exceeds the context of " + s.positions());
        if (hooks.isBlank()) throw new ParameterException(spec.commandLine(), "--hooks is empty");
        List<String> paths = gemm != null ? gemm.stream().map(String::strip).distinct().toList()
                : Gemm.openBlasAvailable() ? List.of("java", "openblas") : List.of("java");
        for (String p : paths) {
            if (!p.equals("java") && !p.equals("openblas")) {
                throw new ParameterException(spec.commandLine(), "unknown --gemm '" + p + "' (known: java, openblas)");
            }
        }
        // another depth is another checkpoint, kept beside the shape's own
        boolean otherDepth = layers != null && layers != s.layers();
        String label = otherDepth ? shape + ", " + layers + " layers" : shape;
        if (otherDepth) s = s.withLayers(layers);
        Path folder = dir != null ? dir : defaultDir(otherDepth ? shape + "-" + layers + "l" : shape);
        if (!Files.exists(folder.resolve("config.json"))) {
            main.err().println("bench: writing a random " + label + " checkpoint to " + folder + " (once) ...");
            DemoCheckpoint.writeWithoutTokenizer(folder, s);
        }
        main.selectDevice();
        try (LoadedModel m = Models.load(folder.toString())) {
            checkShape(folder, m.config(), s);
            List<String> selections = hooks.strip().equals(ALL) ? List.of(ALL) : List.of(hooks.strip(), ALL);
            new ForwardBench(m, new ForwardBench.Settings(label, batch, tokens, selections, paths, warmup, runs, peer.equals("libtorch")),
                    main.out()).run();
        }
        main.out().printf("command   mesascope bench forward --shape %s%s --batch %d --tokens %d%s --gemm %s --warmup %d --runs %d --peer %s (%s)%n",
                shape, layers != null ? " --layers " + layers : "", batch, tokens, hooks.equals(RESID) ? "" : " --hooks '" + hooks + "'",
                String.join(",", paths), warmup, runs, peer, LocalDate.now());
        return 0;
    }

    /**
     * The JMH benchmarks under org.mesascope.cli.bench.kernels: --warmup and --runs iterations of --time-ms each, JMH's
     * table on standard output. Forked JVMs get this one's classpath and flags.
     */
    private int kernels() {
        if (runs < 1 || warmup < 0 || forks < 0 || timeMs < 1) {
            throw new ParameterException(spec.commandLine(), "--runs and --time-ms must be positive, --warmup and --forks not negative");
        }
        org.openjdk.jmh.runner.options.ChainedOptionsBuilder options = new org.openjdk.jmh.runner.options.OptionsBuilder()
                .include(include).forks(forks).warmupIterations(warmup).measurementIterations(runs)
                .warmupTime(org.openjdk.jmh.runner.options.TimeValue.milliseconds(timeMs))
                .measurementTime(org.openjdk.jmh.runner.options.TimeValue.milliseconds(timeMs));
        for (String p : params == null ? List.<String>of() : params) {
            int eq = p.indexOf('=');
            if (eq < 1) throw new ParameterException(spec.commandLine(), "--param wants NAME=VALUE[,VALUE...], got '" + p + "'");
            options.param(p.substring(0, eq), p.substring(eq + 1).split(","));
        }
        try {
            new org.openjdk.jmh.runner.Runner(options.build()).run();
        } catch (org.openjdk.jmh.runner.NoBenchmarksException e) {
            throw new MesascopeException("no JMH benchmark matches --include '" + include + "'");
        } catch (org.openjdk.jmh.runner.RunnerException e) {
            throw new MesascopeException("JMH: " + e.getMessage());
        }
        return 0;
    }

    /** A checkpoint kept from an earlier run (or given with --dir) must be the shape asked for. */
    private static void checkShape(Path folder, ModelConfig c, DemoCheckpoint.Shape s) {
        boolean same = c.family() == s.family() && c.nLayers() == s.layers() && c.dModel() == s.dModel()
                && c.nHeads() == s.heads() && c.nKvHeads() == s.kvHeads() && c.dMlp() == s.dMlp() && c.vocabSize() == s.vocab();
        if (!same) {
            throw new MesascopeException(folder + " holds a " + c.modelType() + " checkpoint of another shape (" + c.nLayers()
                    + " layers, d_model " + c.dModel() + "); remove it or give another --dir");
        }
    }

    private static Path defaultDir(String name) {
        String home = System.getProperty("mesascope.home");
        Path base = home != null ? Path.of(home, "target") : Path.of(System.getProperty("java.io.tmpdir"));
        return base.resolve("bench").resolve(name);
    }
}
