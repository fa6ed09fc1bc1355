package org.mesascope.cli.bench;

import org.mesascope.core.MesascopeException;
import org.mesascope.core.cpu.Gemm;
import org.mesascope.core.cpu.Linear;
import org.mesascope.core.cpu.Parallel;
import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.BlockRecipe;
import org.mesascope.core.model.ModelConfig;
import org.mesascope.core.model.ModelWeights;
import org.mesascope.core.tensor.Tensor;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * {@code mesascope bench forward}'s measurements, all in one process on one checkpoint:
 * <ul>
 *   <li>Mesascope's CPU forward pass, once per GEMM path asked for (the Java kernel, OpenBLAS) and per hook selection
 *       (the resid hooks, then every hook), each selected hook streamed to a sink that adds up every value it receives;</li>
 *   <li>the same forward passes in libtorch ({@link TorchPeer}), each selected hook copied into a Java array and summed
 *       by the same kind of sink;</li>
 *   <li>a GEMM alone in each engine, of the first layer's MLP input weight as the checkpoint stores it: [B·T, d_model]
 *       times [d_model, d_mlp].</li>
 * </ul>
 * The engines being compared take turns: after untimed warm-up passes of each, timed pass i of every engine runs
 * before timed pass i + 1 of any, so that a machine whose speed drifts (a shared virtual machine) slows all of them
 * alike. Every row is the median of its timed passes. The best GEMM median is the "measured GEMM peak" against which
 * every row's GFLOP/s is put. Memory (RssAnon, VmHWM) is sampled while each row's timed passes run; with the peer
 * loaded, RssAnon includes libtorch's own memory, so depth-scaling runs use {@code --peer none}.
 */
public final class ForwardBench {
    /** What to run. {@code label} names the shape in tables ("llama-350m", "llama-350m, 6 layers"). */
    public record Settings(String label, int batch, int tokens, List<String> hookSelections, List<String> gemmPaths,
                           int warmup, int runs, boolean peer) {
    }

    /**
     * One measured row.
     *
     * @param engine "Mesascope java-vector", "Mesascope openblas-0.3.31" or "libtorch"
     * @param hooks  the hook selection, or null for the GEMM
     * @param values hook values streamed per pass
     * @param sum    the sink's sum over the timed passes (printed, so that nothing can be skipped)
     */
    public record Row(String engine, String hooks, double[] ms, double flops, int tokens, long values, double sum,
                      RssSampler.Memory memory) {
        public double median() {
            double[] sorted = ms.clone();
            Arrays.sort(sorted);
            int n = sorted.length;
            return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        }

        public double tokensPerSecond() {
            return tokens / (median() / 1e3);
        }

        public double gflops() {
            return flops / (median() / 1e3) / 1e9;
        }

        public boolean gemm() {
            return hooks == null;
        }

        public boolean mesascope() {
            return engine.startsWith("Mesascope");
        }

        String what() {
            return engine + (gemm() ? " GEMM" : " forward, hooks '" + hooks + "'");
        }
    }

    /** All rows of a run, and what the peer left out (hooks Mesascope fired that the peer has no point for). */
    public record Result(List<Row> rows, List<String> notes) {
        /** The best GEMM median in GFLOP/s, or NaN without a GEMM row. */
        public double gemmPeak() {
            return rows.stream().filter(Row::gemm).mapToDouble(Row::gflops).max().orElse(Double.NaN);
        }

        /** Mesascope's median time over libtorch's on the same row, as a throughput ratio (> 1: Mesascope faster); NaN without a peer. */
        public double ratio(Row mesascope) {
            for (Row r : rows) {
                if (r.engine.equals("libtorch") && (r.gemm() ? mesascope.gemm() : r.hooks.equals(mesascope.hooks))) {
                    return r.median() / mesascope.median();
                }
            }
            return Double.NaN;
        }
    }

    private final LoadedModel model;
    private final Settings s;
    private final PrintWriter out;
    private final int[][] tokens;
    private final List<String> notes = new ArrayList<>();
    /** The first layer's MLP input projection as the checkpoint stores it (GPT-2's Conv1D [in, out], else [out, in]). */
    private final Linear mlpIn;

    public ForwardBench(LoadedModel model, Settings settings, PrintWriter out) {
        this.model = model;
        this.mlpIn = ModelWeights.bind(model.config(), model.weights()).blocks()[0].up();
        this.s = settings;
        this.out = out;
        int vocab = model.config().vocabSize();
        tokens = new int[s.batch()][s.tokens()];
        for (int b = 0; b < s.batch(); b++) for (int t = 0; t < s.tokens(); t++) tokens[b][t] = (31 * t + 7 * b + 1) % vocab;
    }

    public Result run() {
        ModelConfig c = model.config();
        String modeBefore = Gemm.mode();
        List<String> paths = new ArrayList<>();
        for (String mode : s.gemmPaths()) {
            try {
                Gemm.use(mode);
                paths.add(Gemm.backendDetail());
            } catch (IllegalStateException e) {
                // a path that cannot run here: the engine says which and why
                Gemm.use(modeBefore);
                throw new MesascopeException(e.getMessage());
            }
        }
        out.printf("model     random %s %s: %d layers, d_model %d, %d heads (%d key/value), d_mlp %d, %,d parameters, F32%n",
                c.family().displayName(), s.label(), c.nLayers(), c.dModel(), c.nHeads(),
                c.nKvHeads(), c.dMlp(), c.parameterCount());
        out.printf("input     %d x %d tokens; per row %d untimed passes, then %d timed, the engines taking turns%n", s.batch(), s.tokens(),
                s.warmup(), s.runs());
        out.printf("machine   %s, %d threads, Java %s%n", cpuModel(), Parallel.threads(), Runtime.version());
        for (String p : paths) out.printf("mesascope GEMM %s%n", p);
        TorchPeer peer = null;
        try {
            if (s.peer()) {
                long t0 = System.nanoTime();
                peer = TorchPeer.load(c, model.weights(), Parallel.threads());
                out.printf("peer      libtorch %s through DJL's PyTorch engine, float32, %s; weights copied in %.1f s%n",
                        TorchPeer.version(), TorchPeer.threadsInEffect(), (System.nanoTime() - t0) / 1e9);
            }
            List<Row> rows = new ArrayList<>();
            for (String hooks : s.hookSelections()) {
                List<Pass> passes = new ArrayList<>();
                for (String mode : s.gemmPaths()) passes.add(mesascope(mode, hooks));
                if (peer != null) passes.add(torch(peer, hooks));
                rows.addAll(report(timeTogether(passes)));
                if (peer != null) {
                    Set<String> missing = new LinkedHashSet<>(passes.getFirst().fired);
                    missing.removeAll(passes.getLast().fired);
                    if (!missing.isEmpty()) {
                        notes.add("libtorch has no hook point for " + missing.size() + " of the hooks Mesascope streamed for '"
                                + hooks + "' (e.g. " + missing.iterator().next() + "): its row does less work");
                    }
                }
            }
            List<Pass> gemms = new ArrayList<>();
            for (String mode : s.gemmPaths()) gemms.add(mesascopeGemm(mode));
            if (peer != null) gemms.add(torchGemm(peer));
            rows.addAll(report(timeTogether(gemms)));
            Result result = new Result(rows, notes);
            summary(result);
            return result;
        } finally {
            if (peer != null) peer.close();
            Gemm.use(modeBefore);
        }
    }

    /**
     * One engine's pass of a row, with what its sink saw: the hooks it fired, the values and their sum since the
     * counters were last reset.
     */
    private static final class Pass {
        final String engine, hooks;
        final double flops;
        final Runnable run;
        final Set<String> fired = new LinkedHashSet<>();
        long values;
        double sum;

        Pass(String engine, String hooks, double flops, Runnable run) {
            this.engine = engine;
            this.hooks = hooks;
            this.flops = flops;
            this.run = run;
        }
    }

    /** Mesascope's forward on one GEMM path with {@code hooks} streamed to a summing sink. */
    private Pass mesascope(String mode, String hooks) {
        Gemm.use(mode);
        Batch input = Batch.of(tokens);
        HookRegistry registry = new HookRegistry();
        Pass[] self = new Pass[1];
        for (String glob : hooks.split(",")) {
            registry.addSink(glob.strip(), (name, v, batch) -> {
                self[0].fired.add(name.name());
                self[0].sum += touch(v);
                self[0].values += v.size();
            });
        }
        self[0] = new Pass("Mesascope " + Gemm.backend(), hooks, flops(model.config(), s.batch(), s.tokens()), () -> {
            Gemm.use(mode);
            model.model().forward(input, registry);
        });
        return self[0];
    }

    private Pass torch(TorchPeer peer, String hooks) {
        Predicate<String> wants = selection(hooks);
        Pass[] self = new Pass[1];
        self[0] = new Pass("libtorch", hooks, flops(model.config(), s.batch(), s.tokens()), () -> peer.forward(tokens, wants, (name, v) -> {
            self[0].fired.add(name);
            double acc = 0;
            for (float f : v) acc += f;
            self[0].sum += acc;
            self[0].values += v.length;
        }));
        return self[0];
    }

    private Pass mesascopeGemm(String mode) {
        Gemm.use(mode);
        int rows = s.batch() * s.tokens(), d = model.config().dModel(), n = model.config().dMlp();
        float[] x = gemmInput(rows, d), y = new float[rows * n];
        return new Pass("Mesascope " + Gemm.backend(), null, 2.0 * rows * d * n, () -> {
            Gemm.use(mode);
            Gemm.matmul(x, rows, d, mlpIn.weight(), mlpIn.layout(), null, y, n);
        });
    }

    private Pass torchGemm(TorchPeer peer) {
        int rows = s.batch() * s.tokens(), d = model.config().dModel(), n = model.config().dMlp();
        return new Pass("libtorch", null, 2.0 * rows * d * n, peer.mlpGemm(gemmInput(rows, d), rows));
    }

    /** Deterministic activations of a normalized size, so that neither engine meets denormals or infinities. */
    private static float[] gemmInput(int rows, int d) {
        float[] x = new float[rows * d];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(0.37 * i + 0.11);
        return x;
    }

    /** Warm-up passes of each, then the timed passes in turns; one row per pass, in the order given. */
    private List<Row> timeTogether(List<Pass> passes) {
        for (Pass p : passes) {
            for (int i = 0; i < s.warmup(); i++) p.run.run();
            p.values = 0;
            p.sum = 0;
        }
        int n = passes.size();
        double[][] ms = new double[n][s.runs()];
        RssSampler.Memory[] memory = new RssSampler.Memory[n];
        for (int i = 0; i < s.runs(); i++) {
            for (int e = 0; e < n; e++) {
                try (RssSampler sampler = RssSampler.start()) {
                    long t0 = System.nanoTime();
                    passes.get(e).run.run();
                    ms[e][i] = (System.nanoTime() - t0) / 1e6;
                    memory[e] = RssSampler.Memory.max(memory[e], sampler.stop());
                }
            }
        }
        List<Row> rows = new ArrayList<>();
        for (int e = 0; e < n; e++) {
            Pass p = passes.get(e);
            rows.add(new Row(p.engine, p.hooks, ms[e], p.flops, s.batch() * s.tokens(), p.values / s.runs(), p.sum, memory[e]));
        }
        return rows;
    }

    /** Reads every value of a hook (the least any sink does). */
    private static double touch(Tensor v) {
        float[] data = v.data();
        double acc = 0;
        for (int i = 0, n = v.size(); i < n; i++) acc += data[i];
        return acc;
    }

    /** A comma-separated list of globs, matched as Mesascope's HookRegistry matches them. */
    static Predicate<String> selection(String hooks) {
        List<Pattern> patterns = Arrays.stream(hooks.split(",")).map(g -> HookRegistry.globToRegex(g.strip())).toList();
        return name -> patterns.stream().anyMatch(p -> p.matcher(name).matches());
    }

    private List<Row> report(List<Row> rows) {
        for (Row r : rows) report(r);
        return rows;
    }

    private void report(Row r) {
        out.printf("row       %s%s%n", r.what(), r.gemm()
                ? String.format(Locale.ROOT, " (%d x %d -> %d, %s)", r.tokens(), model.config().dModel(), model.config().dMlp(),
                mlpIn.weight().name())
                : String.format(Locale.ROOT, " (%,d values per pass to a summing sink; checksum %.3g)", r.values(), r.sum()));
        out.printf("runs (ms) %s%n", Arrays.toString(Arrays.stream(r.ms()).map(x -> Math.round(x * 10) / 10.0).toArray()));
        out.printf("median    %.1f ms = %.0f tokens/s = %.1f GFLOP/s%n", r.median(), r.tokensPerSecond(), r.gflops());
        RssSampler.Memory m = r.memory();
        if (m.known()) {
            out.printf("memory    RssAnon %s before the timed passes, peak %s during them; Java heap peak %s, after a collection %s; VmHWM %s; RssFile %s (%d samples)%n",
                    mib(m.anonBefore()), mib(m.anonPeak()), mib(m.heapPeak()), mib(m.livePeak()), mib(m.hwm()), mib(m.file()), m.samples());
        }
        out.flush();
    }

    private void summary(Result result) {
        double peak = result.gemmPeak();
        Row best = result.rows().stream().filter(Row::gemm).filter(r -> r.gflops() == peak).findFirst().orElseThrow();
        out.printf("gemm peak %.1f GFLOP/s (%s, median; the measured GEMM peak below)%n", peak, best.engine());
        for (String note : result.notes()) out.printf("note      %s%n", note);
        if (s.peer()) {
            StringBuilder ratios = new StringBuilder();
            for (Row r : result.rows()) {
                if (!r.mesascope()) continue;
                if (!ratios.isEmpty()) ratios.append(", ");
                ratios.append(r.engine().substring("Mesascope ".length())).append(r.gemm() ? " GEMM" : " hooks '" + r.hooks() + "'")
                        .append(String.format(Locale.ROOT, " %.2fx", result.ratio(r)));
            }
            out.printf("ratio     Mesascope/libtorch throughput: %s%n", ratios);
        }
        out.printf("markdown  | shape | batch × tokens | row | tokens/s | median ms (of %d) | GFLOP/s | of GEMM peak | Mesascope/libtorch | RssAnon peak |%n", s.runs());
        out.printf("markdown  |---|---|---|---|---|---|---|---|---|%n");
        for (Row r : result.rows()) {
            String what = r.engine() + (r.gemm() ? " GEMM " + r.tokens() + "×" + model.config().dModel() + "→" + model.config().dMlp()
                    : ", `" + r.hooks() + "`");
            double ratio = r.mesascope() ? result.ratio(r) : Double.NaN;
            // with libtorch loaded in the process, RssAnon is both engines' memory: left blank
            String anon = r.memory().known() && !s.peer() ? mib(r.memory().anonPeak()) : "";
            out.printf(Locale.ROOT, "markdown  | %s | %dx%d | %s | %.0f | %s | %.1f | %.0f%% | %s | %s |%n", s.label(), s.batch(), s.tokens(),
                    what, r.tokensPerSecond(), String.format(Locale.ROOT, r.median() < 100 ? "%.1f" : "%.0f", r.median()), r.gflops(),
                    100 * r.gflops() / peak,
                    Double.isNaN(ratio) ? "" : String.format(Locale.ROOT, "%.2f", ratio), anon);
        }
        out.flush();
    }

    private static String mib(long kib) {
        return String.format(Locale.ROOT, "%,d MiB", Math.round(kib / 1024.0));
    }

    /**
     * Multiply-adds of one pass ×2: the projections (q, k, v, output; the MLP's two matrices, SwiGLU's three), causal
     * attention (scores and weighted sums over the keys at or before each query), the unembedding.
     */
    public static double flops(ModelConfig c, int batch, int tokens) {
        double d = c.dModel(), q = (double) c.nHeads() * c.headDim(), kv = (double) c.nKvHeads() * c.headDim();
        double mlp = (c.recipe().mlp() == BlockRecipe.Mlp.GATED ? 3 : 2) * d * c.dMlp();
        double perToken = 2 * (d * q + 2 * d * kv + q * d + mlp) * c.nLayers() + 2 * d * c.vocabSize();
        double attention = 2.0 * 2 * c.nLayers() * q * tokens * (tokens + 1) / 2.0;
        return batch * (perToken * tokens + attention);
    }

    public static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse(System.getProperty("os.arch"));
        } catch (IOException e) {
            return System.getProperty("os.arch");
        }
    }
}
