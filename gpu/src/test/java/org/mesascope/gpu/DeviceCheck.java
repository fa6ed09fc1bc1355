package org.mesascope.gpu;

import org.mesascope.core.backend.Backend;
import org.mesascope.core.backend.Precision;
import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.io.HfWeights;
import org.mesascope.core.io.Weights;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.model.ModelConfig;
import org.mesascope.core.reference.RandomCheckpoints;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a session with a lent GPU runs (gpu/device-check.sh): (1) every hook of the GPU pass against the CPU engine
 * for the core tests' checkpoint variants and stories260k, at fp32, tf32 and bf16; (2) throughput of GPT-2-small- and
 * ~1B-Llama-shaped random checkpoints at 32x256 with every hook_resid_* delivered to the host, and the device-side
 * logit lens against (L+1) plain unembeddings. Prints one line per result and writes them to --out.
 * Exit status: 0 all comparisons passed, 1 some failed, 2 no usable GPU.
 * <p>
 * Arguments: [--stories DIR] [--out FILE] [--no-bench] [--iterations N]
 */
public final class DeviceCheck {
    private final List<String> lines = new ArrayList<>();
    private final PrintStream out = System.out;

    private void say(String line) {
        out.println(line);
        lines.add(line);
    }

    public static void main(String[] args) throws Exception {
        Path stories = null, outFile = null;
        boolean bench = true, cpuSelfCheck = false;
        int iterations = 5;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--stories" -> stories = Path.of(args[++i]);
                case "--out" -> outFile = Path.of(args[++i]);
                case "--no-bench" -> bench = false;
                case "--iterations" -> iterations = Integer.parseInt(args[++i]);
                case "--cpu-self-check" -> cpuSelfCheck = true;
                default -> {
                    System.err.println("unknown argument " + args[i]);
                    System.exit(64);
                }
            }
        }
        DeviceCheck check = new DeviceCheck();
        int status = cpuSelfCheck ? check.cpuSelfCheck(stories) : check.run(stories, bench, iterations);
        if (outFile != null) Files.write(outFile, check.lines);
        System.exit(status);
    }

    int run(Path stories, boolean bench, int iterations) throws IOException {
        say("mesascope device check, " + Instant.now() + ", Java " + Runtime.version());
        Backend.Availability a = new GpuBackend().probe();
        say("backend: " + (a.usable() ? "" : "UNUSABLE: ") + a.description());
        if (!a.usable()) return 2;
        GpuContext g = GpuContext.get();
        boolean allPassed = true;

        say("== correctness: every hook, GPU vs CPU engine (relative L2 error over real positions)");
        Path tmp = Files.createTempDirectory("mesascope-device-check");
        for (RandomCheckpoints.Variant v : GpuVsCpuTest.variants()) {
            Path dir = RandomCheckpoints.write(tmp.resolve(v.name()), v, 7);
            allPassed &= compareAll(v.name(), dir, g);
        }
        if (stories != null && Files.isDirectory(stories)) allPassed &= compareAll("stories260k", stories, g);
        say("== device-side sinks: logit lens and probe scores, GPU (fp32) vs the same computed on the CPU engine's hooks");
        for (RandomCheckpoints.Variant v : List.of(RandomCheckpoints.GPT2, RandomCheckpoints.LLAMA_GQA)) {
            allPassed &= checkDeviceSinks(v.name(), tmp.resolve(v.name()), g);
            allPassed &= checkDeviceInterventions(v.name(), tmp.resolve(v.name()), g);
        }
        if (stories != null && Files.isDirectory(stories)) allPassed &= checkDeviceSinks("stories260k", stories, g);
        else say("stories260k: SKIPPED (no --stories folder)");
        for (RandomCheckpoints.Variant v : RandomCheckpoints.all()) {
            String why = GpuVsCpuTest.whyNotOnGpu(v);
            if (why != null) say(v.name() + ": SKIPPED (" + why + ")");
        }

        if (bench) {
            say("== throughput: batch 32 x 256, every blocks.*.hook_resid_* copied to the host");
            benchmark("gpt2-small-shaped", tmp.resolve("gpt2-small"), """
                    {"model_type": "gpt2", "n_embd": 768, "n_layer": 12, "n_head": 12, "vocab_size": 50257,
                     "n_positions": 1024, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5,
                     "tie_word_embeddings": true}""", g, iterations);
            benchmark("llama-1b-shaped", tmp.resolve("llama-1b"), """
                    {"model_type": "llama", "hidden_size": 2048, "intermediate_size": 8192, "num_hidden_layers": 16,
                     "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256,
                     "max_position_embeddings": 2048, "rms_norm_eps": 1e-5, "rope_theta": 500000.0,
                     "hidden_act": "silu", "tie_word_embeddings": true}""", g, iterations);
        }
        say(allPassed ? "RESULT: all comparisons passed" : "RESULT: some comparisons FAILED");
        return allPassed ? 0 : 1;
    }

    /**
     * The packed jars and runtime on a machine without a GPU: every variant written and run through the CPU engine
     * and the comparison (CPU against itself), and the backend's one-line cause. Exit 0 when that all works.
     */
    int cpuSelfCheck(Path stories) throws IOException {
        say("mesascope device check, CPU self-check, Java " + Runtime.version());
        say("backend: " + new GpuBackend().probe().description());
        Path tmp = Files.createTempDirectory("mesascope-self-check");
        List<Path> dirs = new ArrayList<>();
        for (RandomCheckpoints.Variant v : GpuVsCpuTest.variants()) dirs.add(RandomCheckpoints.write(tmp.resolve(v.name()), v, 7));
        if (stories != null) dirs.add(stories);
        boolean ok = true;
        for (Path dir : dirs) {
            ModelConfig c = ModelConfig.read(dir);
            try (Weights w = HfWeights.open(dir)) {
                Batch batch = HookComparison.batch(c.vocabSize(), Math.min(13, c.maxPositions()), 1);
                var a = HookComparison.capture(org.mesascope.core.model.Models.build(c, w), batch);
                var b = HookComparison.capture(org.mesascope.core.model.Models.build(c, w), batch);
                double worst = 0;
                for (var e : a.entrySet()) worst = Math.max(worst, HookComparison.relativeError(b.get(e.getKey()), e.getValue()));
                say(String.format("%-22s CPU vs CPU: %d hooks, worst relative error %.1e", dir.getFileName(), a.size(), worst));
                ok &= worst == 0;
            }
        }
        return ok ? 0 : 1;
    }

    /**
     * DeviceLens and DeviceProbeScores against the CPU engine: lens rows from the CPU's residuals through the CPU
     * model's unembed, entropy and KL(final || row) in double, top-1 ids; probe scores as dot products of the CPU's
     * resid_post with random directions. Real positions only. Passes when top-1 agrees on >= 99% of (row, position)
     * pairs, entropy and KL are within 1e-3 nats + 1e-3 relative, and scores within 1e-4 relative L2.
     */
    boolean checkDeviceSinks(String name, Path dir, GpuContext g) {
        ModelConfig c = ModelConfig.read(dir);
        try (Weights w = HfWeights.open(dir)) {
            Batch batch = HookComparison.batch(c.vocabSize(), Math.min(13, c.maxPositions()), 1);
            int layers = c.nLayers(), width = batch.width(), rows = batch.size() * width, d = c.dModel(), vocab = c.vocabSize();
            var cpuModel = org.mesascope.core.model.Models.build(c, w);
            java.util.Map<String, float[]> cpu = new java.util.HashMap<>();
            cpuModel.forward(batch, new HookRegistry().addSink("*", (hook, value, b) -> cpu.put(hook.name(), value.data().clone())));
            float[] finalLogits = cpu.get("logits");
            Random r = new Random(5);
            float[][] directions = new float[3][d];
            for (float[] dir1 : directions) for (int i = 0; i < d; i++) dir1[i] = (float) r.nextGaussian();

            DeviceLens.Result lens;
            java.util.Map<String, float[]> scores;
            try (GpuModel m = new GpuModel(g, c, w, Precision.FP32)) {
                lens = DeviceLens.run(m, batch, 5);
                try (DeviceProbeScores probe = new DeviceProbeScores(m, "blocks.*.hook_resid_post", directions)) {
                    m.forward(batch, new HookRegistry(), null, probe, false);
                    scores = probe.scores();
                }
            }
            int same = 0, pairs = 0;
            double worstStat = 0;
            for (int row = 0; row <= layers; row++) {
                String hook = row < layers ? "blocks." + row + ".hook_resid_pre" : "blocks." + (layers - 1) + ".hook_resid_post";
                float[] logits = cpuModel.unembed(new org.mesascope.core.tensor.Tensor(cpu.get(hook), rows, d)).data();
                for (int b = 0; b < batch.size(); b++) {
                    for (int t = 0; t < batch.length(b); t++) {
                        int pos = b * width + t, at = row * rows + pos;
                        double[] st = stats(logits, finalLogits, pos, vocab);
                        worstStat = Math.max(worstStat, Math.abs(st[0] - lens.entropy()[at]) / (1e-3 + 1e-3 * Math.abs(st[0])));
                        worstStat = Math.max(worstStat, Math.abs(st[1] - lens.kl()[at]) / (1e-3 + 1e-3 * Math.abs(st[1])));
                        if ((int) st[2] == lens.topIds()[at * lens.k()]) same++;
                        pairs++;
                    }
                }
            }
            double top1 = (double) same / pairs;
            double worstScore = 0;
            for (int l = 0; l < layers; l++) {
                String hook = "blocks." + l + ".hook_resid_post";
                float[] want = new float[rows * 3];
                float[] resid = cpu.get(hook);
                for (int p = 0; p < rows; p++)
                    for (int j = 0; j < 3; j++) {
                        double s = 0;
                        for (int i = 0; i < d; i++) s += (double) resid[p * d + i] * directions[j][i];
                        want[p * 3 + j] = (float) s;
                    }
                float[] got = scores.get(hook);
                worstScore = Math.max(worstScore, got == null ? Double.NaN : HookComparison.relativeError(
                        HookComparison.realPositions(hook, new org.mesascope.core.tensor.Tensor(got, batch.size(), width, 3), batch),
                        HookComparison.realPositions(hook, new org.mesascope.core.tensor.Tensor(want, batch.size(), width, 3), batch)));
            }
            boolean ok = top1 >= 0.99 && worstStat <= 1 && worstScore <= 1e-4;
            say(String.format("%-22s device sinks %s  lens top-1 agreement %.4f, worst entropy/KL error %.2f of the limit, "
                    + "probe scores worst %.2e (limit 1e-4)", name, ok ? "PASS" : "FAIL", top1, worstStat, worstScore));
            return ok;
        } catch (RuntimeException e) {
            say(name + " device sinks ERROR " + e);
            e.printStackTrace(out);
            return false;
        }
    }

    /**
     * Steering and patching on the device against the same interventions on the CPU engine (fp32, logits compared
     * over real positions, limit 1e-4): steer blocks.1.hook_resid_pre (or block 0 of a one-layer model) by a random
     * vector at every position; patch blocks.0.hook_resid_post at position 2 of each sequence from another batch.
     */
    boolean checkDeviceInterventions(String name, Path dir, GpuContext g) {
        ModelConfig c = ModelConfig.read(dir);
        try (Weights w = HfWeights.open(dir)) {
            Batch target = HookComparison.batch(c.vocabSize(), Math.min(13, c.maxPositions()), 1);
            Batch source = HookComparison.batch(c.vocabSize(), Math.min(13, c.maxPositions()), 2);
            int width = target.width(), rows = target.size() * width, d = c.dModel();
            String steerHook = "blocks." + Math.min(1, c.nLayers() - 1) + ".hook_resid_pre", patchHook = "blocks.0.hook_resid_post";
            Random r = new Random(9);
            float[] vector = new float[d];
            for (int i = 0; i < d; i++) vector[i] = (float) r.nextGaussian();
            float scale = 4f;
            int[] mask = new int[rows];
            for (int b = 0; b < target.size(); b++) mask[b * width + 2] = 1;

            var cpuModel = org.mesascope.core.model.Models.build(c, w);
            float[] cpuSteered = cpuModel.forward(target, new HookRegistry().addIntervention(steerHook, (h, v, b) -> {
                float[] x = v.data();
                for (int i = 0; i < x.length; i++) x[i] += scale * vector[i % d];
                return v;
            })).data();
            float[][] kept = new float[1][];
            cpuModel.forward(source, new HookRegistry().addSink(patchHook, (h, v, b) -> kept[0] = v.data().clone()));
            float[] cpuPatched = cpuModel.forward(target, new HookRegistry().addIntervention(patchHook, (h, v, b) -> {
                float[] x = v.data();
                for (int row = 0; row < rows; row++) if (mask[row] != 0) System.arraycopy(kept[0], row * d, x, row * d, d);
                return v;
            })).data();

            float[] gpuSteered, gpuPatched;
            try (GpuModel m = new GpuModel(g, c, w, Precision.FP32);
                 DeviceInterventions.Steer steer = new DeviceInterventions.Steer(m, steerHook, vector, scale, null);
                 DeviceInterventions.Recorder rec = new DeviceInterventions.Recorder(m, patchHook);
                 DeviceInterventions.Patch patch = new DeviceInterventions.Patch(m, rec, patchHook, mask)) {
                gpuSteered = m.forward(target, new HookRegistry(), null, steer, true).data();
                m.forward(source, new HookRegistry(), null, rec, false);
                gpuPatched = m.forward(target, new HookRegistry(), null, patch, true).data();
            }
            var shape = new int[]{target.size(), width, c.vocabSize()};
            double steerErr = HookComparison.relativeError(
                    HookComparison.realPositions("logits", new org.mesascope.core.tensor.Tensor(gpuSteered, shape), target),
                    HookComparison.realPositions("logits", new org.mesascope.core.tensor.Tensor(cpuSteered, shape), target));
            double patchErr = HookComparison.relativeError(
                    HookComparison.realPositions("logits", new org.mesascope.core.tensor.Tensor(gpuPatched, shape), target),
                    HookComparison.realPositions("logits", new org.mesascope.core.tensor.Tensor(cpuPatched, shape), target));
            boolean ok = steerErr <= 1e-4 && patchErr <= 1e-4;
            say(String.format("%-22s device interventions %s  steer logits %.2e, patch logits %.2e (limit 1e-4)",
                    name, ok ? "PASS" : "FAIL", steerErr, patchErr));
            return ok;
        } catch (RuntimeException e) {
            say(name + " device interventions ERROR " + e);
            e.printStackTrace(out);
            return false;
        }
    }

    /** {entropy, KL(final || row), argmax} of one position's logits, in double. */
    private static double[] stats(float[] logits, float[] finalLogits, int pos, int vocab) {
        double m = Double.NEGATIVE_INFINITY, mf = Double.NEGATIVE_INFINITY;
        int arg = 0;
        for (int i = 0; i < vocab; i++) {
            if (logits[pos * vocab + i] > m) {
                m = logits[pos * vocab + i];
                arg = i;
            }
            mf = Math.max(mf, finalLogits[pos * vocab + i]);
        }
        double s = 0, sf = 0;
        for (int i = 0; i < vocab; i++) {
            s += Math.exp(logits[pos * vocab + i] - m);
            sf += Math.exp(finalLogits[pos * vocab + i] - mf);
        }
        double lse = m + Math.log(s), lsef = mf + Math.log(sf), ent = 0, kl = 0;
        for (int i = 0; i < vocab; i++) {
            double lp = logits[pos * vocab + i] - lse, lpf = finalLogits[pos * vocab + i] - lsef;
            ent -= Math.exp(lp) * lp;
            kl += Math.exp(lpf) * (lpf - lp);
        }
        return new double[]{ent, kl, arg};
    }

    private boolean compareAll(String name, Path dir, GpuContext g) {
        boolean ok = true;
        ModelConfig c = ModelConfig.read(dir);
        try (Weights w = HfWeights.open(dir)) {
            Batch batch = HookComparison.batch(c.vocabSize(), Math.min(13, c.maxPositions()), 1);
            for (Precision p : Precision.values()) {
                try {
                    HookComparison.Outcome o = HookComparison.compare(name, c, w, batch, p, g);
                    say(o.line());
                    ok &= o.passed();
                } catch (RuntimeException e) {
                    say(name + " " + p.name().toLowerCase() + " ERROR " + e);
                    e.printStackTrace(out);
                    ok = false;
                }
            }
        }
        return ok;
    }

    private void benchmark(String name, Path dir, String configJson, GpuContext g, int iterations) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), configJson);
        ModelConfig c = ModelConfig.read(dir);
        int bsz = 32, width = 256;
        Random r = new Random(3);
        int[][] seqs = new int[bsz][width];
        for (int[] s : seqs) for (int t = 0; t < width; t++) s[t] = r.nextInt(c.vocabSize());
        Batch batch = Batch.of(seqs);
        AtomicLong delivered = new AtomicLong();
        HookRegistry residuals = new HookRegistry().addSink("blocks.*.hook_resid_*",
                (hook, value, b) -> delivered.addAndGet(value.data().length));
        try (RandomWeights w = new RandomWeights(11)) {
            for (Precision p : Precision.values()) {
                try (GpuModel m = new GpuModel(g, c, w, p)) {
                    double plain = time(() -> m.forward(batch, new HookRegistry(), null, null, false), m, iterations);
                    delivered.set(0);
                    double hooked = time(() -> m.forward(batch, residuals, null, null, false), m, iterations);
                    long floatsPerPass = delivered.get() / (iterations + 1);
                    double lens = time(() -> DeviceLens.run(m, batch, 5), m, iterations);
                    double unembeds = time(() -> unembedAll(m, g, bsz * width, c.nLayers() + 1), m, iterations);
                    say(String.format("%-18s %-4s forward %.1f ms (%.0f tok/s); with resid hooks %.1f ms (%.0f tok/s, %.0f MB to host per pass); "
                                    + "device lens %.1f ms over the forward, (L+1) unembeddings %.1f ms, ratio %.2f",
                            name, p.name().toLowerCase(), plain, bsz * width / plain * 1000, hooked, bsz * width / hooked * 1000,
                            floatsPerPass * 4 / 1e6, lens - plain, unembeds, (lens - plain) / unembeds));
                } catch (RuntimeException e) {
                    say(name + " " + p.name().toLowerCase() + " ERROR " + e);
                    e.printStackTrace(out);
                }
            }
        }
    }

    /** (L+1) final norms + unembeddings of all rows, in the lens's chunks, on the device: the lens's reference cost. */
    private static void unembedAll(GpuModel m, GpuContext g, int rows, int times) {
        int d = m.config().dModel(), vocab = m.config().vocabSize();
        int chunk = (int) Math.max(1, Math.min(rows, (1L << 30) / (4L * vocab)));
        long resid = g.alloc((long) rows * d * 4), normed = g.alloc((long) chunk * d * 4), logits = g.alloc((long) chunk * vocab * 4);
        try {
            for (int i = 0; i < times; i++) {
                for (int from = 0; from < rows; from += chunk) {
                    m.unembedOnDevice(resid + (long) from * d * 4, normed, logits, Math.min(chunk, rows - from));
                }
            }
            m.synchronize();
        } finally {
            g.cuda.free(resid);
            g.cuda.free(normed);
            g.cuda.free(logits);
        }
    }

    /** Milliseconds per call, after one warm-up call, the compute stream drained after each. */
    private static double time(Runnable pass, GpuModel m, int iterations) {
        pass.run();
        m.synchronize();
        long t0 = System.nanoTime();
        for (int i = 0; i < iterations; i++) {
            pass.run();
            m.synchronize();
        }
        return (System.nanoTime() - t0) / 1e6 / iterations;
    }
}
