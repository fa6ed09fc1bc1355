package org.mesascope.cli.bench;

import org.mesascope.core.MesascopeException;
import org.mesascope.core.cpu.Gemm;
import org.mesascope.core.cpu.Parallel;
import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.io.WeightTensor;
import org.mesascope.core.model.Batch;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.ModelConfig;
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
 * {@code mesascope bench forward}'s measurements, all in one process on one checkpoint, in this order (so that libtorch
 * and its OpenMP threads are not loaded while Mesascope is timed):
 * <ol>
 *   <li>Mesascope's CPU forward pass, once per hook selection (the resid hooks, then every hook), each selected hook
 *       streamed to a sink that adds up every value it receives;</li>
 *   <li>Mesascope's GEMM alone on the first layer's MLP input weight, read from the mapped checkpoint: [B·T, d_model]
 *       times [d_model, d_mlp];</li>
 *   <li>the same forward passes in libtorch ({@link TorchPeer}), each selected hook copied into a Java array and summed
 *       by the same kind of sink, then libtorch's matmul of the same shape.</li>
 * </ol>
 * Every row is the median of its timed passes after untimed warm-up passes. The best GEMM median is the "measured GEMM
 * peak" against which every row's GFLOP/s is put. Memory (RssAnon, VmHWM) is sampled while the timed passes run.
 */
public final class ForwardBench {
    /** What to run. {@code label} names the shape in tables ("llama-350m", "llama-350m, 6 layers"). */
    public record Settings(String label, int batch, int tokens, List<String> hookSelections, int warmup, int runs,
                           boolean peer) {
    }

    /**
     * One measured row.
     *
     * @param engine "Mesascope" or "libtorch"
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
    /** Mesascope's GEMM path ("java-vector", "openblas-0.3.31"), named in the Markdown rows. */
    private String backend;

    public ForwardBench(LoadedModel model, Settings settings, PrintWriter out) {
        this.model = model;
        this.s = settings;
        this.out = out;
        int vocab = model.config().vocabSize();
        tokens = new int[s.batch()][s.tokens()];
        for (int b = 0; b < s.batch(); b++) for (int t = 0; t < s.tokens(); t++) tokens[b][t] = (31 * t + 7 * b + 1) % vocab;
    }

    public Result run() {
        ModelConfig c = model.config();
        String detail;
        try {
            backend = Gemm.backend();
            detail = Gemm.backendDetail();
        } catch (IllegalStateException e) {
            // -Dmesascope.gemm asked for a path that cannot run: the engine says which and why
            throw new MesascopeException(e.getMessage());
        }
        out.printf("model     random %s %s: %d layers, d_model %d, %d heads (%d key/value), d_mlp %d, %,d parameters, F32%n",
                c.family() == ModelConfig.Family.LLAMA ? "Llama" : "GPT-2", s.label(), c.nLayers(), c.dModel(), c.nHeads(),
                c.nKvHeads(), c.dMlp(), c.parameterCount());
        out.printf("input     %d x %d tokens; per row %d untimed passes, then %d timed%n", s.batch(), s.tokens(), s.warmup(), s.runs());
        out.printf("machine   %s, %d threads, Java %s; Mesascope GEMM: %s (-Dmesascope.gemm=java|openblas|auto)%n", cpuModel(),
                Parallel.threads(), Runtime.version(), detail);
        List<Row> rows = new ArrayList<>();
        List<Set<String>> fired = new ArrayList<>();
        for (String hooks : s.hookSelections()) {
            Set<String> names = new LinkedHashSet<>();
            rows.add(report(mesascope(hooks, names)));
            fired.add(names);
        }
        rows.add(report(mesascopeGemm()));
        if (s.peer()) {
            long t0 = System.nanoTime();
            try (TorchPeer peer = TorchPeer.load(c, model.weights(), Parallel.threads())) {
                out.printf("peer      libtorch %s through DJL's PyTorch engine, float32, %s; weights copied in %.1f s%n",
                        TorchPeer.version(), TorchPeer.threadsInEffect(), (System.nanoTime() - t0) / 1e9);
                for (int i = 0; i < s.hookSelections().size(); i++) {
                    Set<String> names = new LinkedHashSet<>();
                    rows.add(report(torch(peer, s.hookSelections().get(i), names)));
                    Set<String> missing = new LinkedHashSet<>(fired.get(i));
                    missing.removeAll(names);
                    if (!missing.isEmpty()) {
                        notes.add("libtorch has no hook point for " + missing.size() + " of the hooks Mesascope streamed for '"
                                + s.hookSelections().get(i) + "' (e.g. " + missing.iterator().next() + "): its row does less work");
                    }
                }
                rows.add(report(torchGemm(peer)));
            }
        }
        Result result = new Result(rows, notes);
        summary(result);
        return result;
    }

    /** Mesascope's forward with {@code hooks} streamed to a summing sink; the names it fired go to {@code fired}. */
    private Row mesascope(String hooks, Set<String> fired) {
        Batch input = Batch.of(tokens);
        long[] values = {0};
        double[] sum = {0};
        HookRegistry registry = new HookRegistry();
        for (String glob : hooks.split(",")) {
            registry.addSink(glob.strip(), (name, v, batch) -> {
                fired.add(name);
                sum[0] += touch(v);
                values[0] += v.size();
            });
        }
        Runnable pass = () -> model.model().forward(input, registry);
        return timed("Mesascope", hooks, flops(model.config(), s.batch(), s.tokens()), pass, values, sum);
    }

    private Row torch(TorchPeer peer, String hooks, Set<String> fired) {
        long[] values = {0};
        double[] sum = {0};
        Predicate<String> wants = selection(hooks);
        Runnable pass = () -> peer.forward(tokens, wants, (name, v) -> {
            fired.add(name);
            double acc = 0;
            for (float f : v) acc += f;
            sum[0] += acc;
            values[0] += v.length;
        });
        return timed("libtorch", hooks, flops(model.config(), s.batch(), s.tokens()), pass, values, sum);
    }

    private Row mesascopeGemm() {
        Mlp mlp = mlp(model.config());
        WeightTensor w = model.weights().get(mlp.weight, mlp.shape);
        int rows = s.batch() * s.tokens(), d = model.config().dModel(), n = model.config().dMlp();
        float[] x = gemmInput(rows, d), y = new float[rows * n];
        Runnable pass = () -> Gemm.matmul(x, rows, d, w, mlp.layout, null, y, n);
        return timed("Mesascope", null, 2.0 * rows * d * n, pass, new long[1], new double[1]);
    }

    private Row torchGemm(TorchPeer peer) {
        int rows = s.batch() * s.tokens(), d = model.config().dModel(), n = model.config().dMlp();
        Runnable pass = peer.mlpGemm(gemmInput(rows, d), rows);
        return timed("libtorch", null, 2.0 * rows * d * n, pass, new long[1], new double[1]);
    }

    /** The first layer's MLP input projection: GPT-2's c_fc ([in, out], Conv1D) or Llama's up_proj ([out, in]). */
    private record Mlp(String weight, int[] shape, Gemm.Layout layout) {
    }

    private static Mlp mlp(ModelConfig c) {
        int d = c.dModel(), n = c.dMlp();
        return c.family() == ModelConfig.Family.LLAMA
                ? new Mlp("model.layers.0.mlp.up_proj.weight", new int[]{n, d}, Gemm.Layout.OUT_IN)
                : new Mlp("transformer.h.0.mlp.c_fc.weight", new int[]{d, n}, Gemm.Layout.IN_OUT);
    }

    /** Deterministic activations of a normalized size, so that neither engine meets denormals or infinities. */
    private static float[] gemmInput(int rows, int d) {
        float[] x = new float[rows * d];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(0.37 * i + 0.11);
        return x;
    }

    private Row timed(String engine, String hooks, double flops, Runnable pass, long[] values, double[] sum) {
        for (int i = 0; i < s.warmup(); i++) pass.run();
        values[0] = 0;
        sum[0] = 0;
        double[] ms = new double[s.runs()];
        RssSampler.Memory memory;
        try (RssSampler sampler = RssSampler.start()) {
            for (int i = 0; i < s.runs(); i++) {
                long t0 = System.nanoTime();
                pass.run();
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
            memory = sampler.stop();
        }
        return new Row(engine, hooks, ms, flops, s.batch() * s.tokens(), values[0] / s.runs(), sum[0], memory);
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

    private Row report(Row r) {
        out.printf("row       %s%s%n", r.what(), r.gemm()
                ? String.format(Locale.ROOT, " (%d x %d -> %d, %s)", r.tokens(), model.config().dModel(), model.config().dMlp(),
                mlp(model.config()).weight)
                : String.format(Locale.ROOT, " (%,d values per pass to a summing sink; checksum %.3g)", r.values(), r.sum()));
        out.printf("runs (ms) %s%n", Arrays.toString(Arrays.stream(r.ms()).map(x -> Math.round(x * 10) / 10.0).toArray()));
        out.printf("median    %.1f ms = %.0f tokens/s = %.1f GFLOP/s%n", r.median(), r.tokensPerSecond(), r.gflops());
        RssSampler.Memory m = r.memory();
        if (m.known()) {
            out.printf("memory    RssAnon %s before the timed passes, peak %s during them; Java heap peak %s; VmHWM %s; RssFile %s (%d samples)%n",
                    mib(m.anonBefore()), mib(m.anonPeak()), mib(m.heapPeak()), mib(m.hwm()), mib(m.file()), m.samples());
        }
        out.flush();
        return r;
    }

    private void summary(Result result) {
        double peak = result.gemmPeak();
        Row best = result.rows().stream().filter(Row::gemm).filter(r -> r.gflops() == peak).findFirst().orElseThrow();
        out.printf("gemm peak %.1f GFLOP/s (%s, median; the measured GEMM peak below)%n", peak, best.engine());
        for (String note : result.notes()) out.printf("note      %s%n", note);
        if (s.peer()) {
            StringBuilder ratios = new StringBuilder();
            for (Row r : result.rows()) {
                if (!r.engine().equals("Mesascope")) continue;
                if (!ratios.isEmpty()) ratios.append(", ");
                ratios.append(r.gemm() ? "GEMM" : "hooks '" + r.hooks() + "'").append(String.format(Locale.ROOT, " %.2fx", result.ratio(r)));
            }
            out.printf("ratio     Mesascope/libtorch throughput: %s%n", ratios);
        }
        out.printf("markdown  | shape | batch × tokens | row | tokens/s | median ms (of %d) | GFLOP/s | of GEMM peak | Mesascope/libtorch | RssAnon peak |%n", s.runs());
        out.printf("markdown  |---|---|---|---|---|---|---|---|---|%n");
        for (Row r : result.rows()) {
            String engine = r.engine().equals("Mesascope") ? "Mesascope (" + backend + ")" : r.engine();
            String what = engine + (r.gemm() ? " GEMM " + r.tokens() + "×" + model.config().dModel() + "→" + model.config().dMlp()
                    : ", `" + r.hooks() + "`");
            double ratio = r.engine().equals("Mesascope") ? result.ratio(r) : Double.NaN;
            out.printf(Locale.ROOT, "markdown  | %s | %dx%d | %s | %.0f | %s | %.1f | %.0f%% | %s | %s |%n", s.label(), s.batch(), s.tokens(),
                    what, r.tokensPerSecond(), String.format(Locale.ROOT, r.median() < 100 ? "%.1f" : "%.0f", r.median()), r.gflops(),
                    100 * r.gflops() / peak,
                    Double.isNaN(ratio) ? "" : String.format(Locale.ROOT, "%.2f", ratio), r.memory().known() ? mib(r.memory().anonPeak()) : "");
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
        double mlp = (c.family() == ModelConfig.Family.LLAMA ? 3 : 2) * d * c.dMlp();
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
