package org.mesascope.cli;

import org.mesascope.cli.support.Outputs;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import org.mesascope.core.MesascopeException;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.Models;
import org.mesascope.probes.lens.tuned.Corpus;
import org.mesascope.probes.lens.tuned.LensEvaluator;
import org.mesascope.probes.lens.tuned.TunedLens;
import org.mesascope.probes.lens.tuned.TunedLensConfig;
import org.mesascope.probes.lens.tuned.TunedLensReport;
import org.mesascope.probes.lens.tuned.TunedLensSettings;
import org.mesascope.probes.lens.tuned.TunedLensTrainer;
import org.mesascope.probes.report.ReportFiles;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code mesascope tuned-lens train} and {@code mesascope tuned-lens eval}. */
@Command(name = "tuned-lens", mixinStandardHelpOptions = true,
        description = "The tuned lens (Belrose et al. 2023): an affine translator per layer, trained so that each"
                + " layer's reading matches the model's output distribution.",
        subcommands = {TunedLensCommand.Train.class, TunedLensCommand.Eval.class})
final class TunedLensCommand implements Callable<Integer> {
    /** Training never holds more corpus than this many tokens; a longer run passes over them again. */
    static final long MAX_TRAIN_TOKENS = 1L << 26;

    @ParentCommand
    Main main;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(main.err());
        return Main.USAGE;
    }

    /** Fails at once when {@code dir}, an output folder, exists as something else. */
    static void notAFile(Path dir) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new MesascopeException("cannot write " + dir + ": it exists and is not a directory");
        }
    }

    /** The corpus options both subcommands share. */
    static final class CorpusInput {
        @Option(names = "--corpus", required = true, paramLabel = "FILE",
                description = "text (documents separated by blank lines), .jsonl (one {\"text\": ...} per line) or"
                        + " .ids (token ids separated by commas or spaces)")
        Path file;

        @Option(names = "--corpus-format", defaultValue = "auto", paramLabel = "FORMAT",
                description = "auto (by the file name, the default), text, jsonl or ids")
        Corpus.Format format;

        /** Windows of {@code seqLen} tokens, at most {@code maxWindows}; documents separated by the model's EOS. */
        Corpus.Windows read(LoadedModel m, int seqLen, int maxWindows) {
            if (!Files.exists(file)) throw new MesascopeException("no such file or directory: " + file);
            int[] eos = GenerateCommand.eosTokenIds(m.dir());
            return Corpus.read(file, format != null ? format : Corpus.Format.of(file), m.tokenizer(),
                    m.config().vocabSize(), eos.length > 0 ? eos[0] : Corpus.NO_SEPARATOR, seqLen, maxWindows);
        }
    }

    @Command(name = "train", mixinStandardHelpOptions = true,
            description = {"Train a tuned lens on a corpus with libtorch on the CPU and save it (tuned-lens.safetensors"
                    + " + tuned-lens.json) in --out.",
                    "Defaults are tuned-lens's: 250 steps of 2^18 tokens in windows of 2048 (at most the model's"
                            + " context), SGD with Nesterov momentum 0.9, learning rate 1.0·(1−0.9), weight decay 1e-3,"
                            + " linear decay to 0, gradient norm clipped to 1, loss = Σ over layers of KL(final ‖ lens)."
                            + " On a CPU, lower --tokens-per-step for all but tiny models.",
                    "The corpus's first --eval-tokens tokens are held out and the lens is scored on them at the end."
                            + " Deterministic given the seed (same machine and thread count)."})
    static final class Train implements Callable<Integer> {
        @ParentCommand
        TunedLensCommand parent;

        @Spec
        CommandSpec spec;

        @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL",
                description = "a Hugging Face model folder, a hub id in the local HF cache, or an organism's name")
        String model;

        @CommandLine.Mixin
        CorpusInput corpus = new CorpusInput();

        @Option(names = "--steps", paramLabel = "N", description = "optimizer steps (default: 250)")
        Integer steps;

        @Option(names = "--tokens-per-step", paramLabel = "N", description = "tokens per step (default: 262144)")
        Integer tokensPerStep;

        @Option(names = "--seq-len", paramLabel = "T", description = "tokens per window (default: min(2048, the model's context))")
        Integer seqLen;

        @Option(names = "--seed", paramLabel = "S", description = "seeds the order of the training windows (default: 42)")
        Long seed;

        @Option(names = "--eval-tokens", paramLabel = "N",
                description = "held-out tokens scored at the end, 0 for none (default: 16384)")
        Integer evalTokens;

        @Option(names = "--threads", paramLabel = "N", description = "libtorch threads (default: one per core)")
        Integer threads;

        @Option(names = {"-o", "--out"}, required = true, paramLabel = "DIR", description = "the lens's folder")
        Path out;

        @Override
        public Integer call() {
            Main main = parent.main;
            TunedLensSettings settings = settings();
            notAFile(out);
            try (LoadedModel m = Models.load(model)) {
                int len = settings.seqLen(m.config().maxPositions());
                int held = settings.evalWindows(len);
                long wanted = (long) settings.steps() * settings.windowsPerStep(len);
                int cap = (int) Math.min(wanted, Math.max(1, MAX_TRAIN_TOKENS / len));
                Corpus.Windows windows = corpus.read(m, len, held + cap);
                // the folder is made only once the inputs are known good, so a bad input leaves nothing behind
                Path dir = Outputs.directory(out);
                Outputs.checkWritable(dir.resolve(TunedLens.CONFIG_FILE));
                main.selectDevice();
                main.err().printf(Locale.ROOT, "tuned lens for %s: %d steps of %d windows of %d tokens; corpus %s: %d"
                                + " windows (%d held out)%s%n", m.name(), settings.steps(), settings.windowsPerStep(len),
                        len, corpus.file, windows.size(), Math.min(held, windows.size()),
                        windows.size() - held > 0 && wanted > windows.size() - held
                                ? String.format(Locale.ROOT, ", each training window seen ~%.1f times",
                                (double) wanted / (windows.size() - held)) : "");
                TunedLens lens;
                try (Progress progress = Progress.open("tuned lens", settings.steps(), main.err())) {
                    lens = TunedLensTrainer.train(m, windows, settings.withSeqLen(len), corpus.file.toString(), progress);
                }
                TunedLensConfig saved;
                try {
                    saved = lens.save(dir);
                } catch (IOException e) {
                    throw Outputs.cannotWrite(dir, e);
                }
                PrintWriter o = main.out();
                TunedLensConfig.Training t = saved.training();
                o.printf(Locale.ROOT, "trained in %.0f s: loss (Σ over layers of the mean KL, nats) %.4f at step 1, %.4f"
                        + " at step %d%n", t.seconds(), t.loss().getFirst(), t.loss().getLast(), t.steps());
                if (saved.evaluation() != null) {
                    TunedLensConfig.Evaluation e = saved.evaluation();
                    o.print(new TunedLensReport(m.name(), dir.toString(), corpus.file + " (held-out head)", len,
                            e.windows(), e.tokens(), (long) e.windows() * (len - 1), e.modelPerplexity(), e.layers()).render());
                }
                o.println("wrote " + dir.resolve(TunedLens.TRANSLATORS_FILE) + " and " + dir.resolve(TunedLens.CONFIG_FILE));
            }
            return 0;
        }

        private TunedLensSettings settings() {
            TunedLensSettings s = TunedLensSettings.defaults();
            try {
                if (steps != null) s = s.withSteps(steps);
                if (tokensPerStep != null) s = s.withTokensPerStep(tokensPerStep);
                if (seqLen != null) s = s.withSeqLen(seqLen);
                if (seed != null) s = s.withSeed(seed);
                if (evalTokens != null) s = s.withEvalTokens(evalTokens);
                if (threads != null) s = s.withThreads(threads);
            } catch (MesascopeException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
            return s;
        }
    }

    @Command(name = "eval", mixinStandardHelpOptions = true,
            description = {"Score a tuned lens against the logit lens on held-out text: per layer the mean KL to the"
                    + " model's output distribution (nats) and the next-token perplexity of each lens.",
                    "Prints a table; --out DIR also writes tuned-lens.json, tuned-lens.html (charts embedded) and"
                            + " tuned-lens-layers.csv."})
    static final class Eval implements Callable<Integer> {
        @ParentCommand
        TunedLensCommand parent;

        @Spec
        CommandSpec spec;

        @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL",
                description = "a Hugging Face model folder, a hub id in the local HF cache, or an organism's name")
        String model;

        @Option(names = "--lens", required = true, paramLabel = "DIR", description = "a folder written by `tuned-lens train`")
        Path lens;

        @CommandLine.Mixin
        CorpusInput corpus = new CorpusInput();

        @Option(names = "--seq-len", paramLabel = "T",
                description = "tokens per window (default: the window length the lens was trained with)")
        Integer seqLen;

        @Option(names = "--max-tokens", defaultValue = "16384", paramLabel = "N",
                description = "score at most this many tokens of the corpus (default: ${DEFAULT-VALUE})")
        int maxTokens;

        @Option(names = {"-o", "--out"}, paramLabel = "DIR", description = "also write the report's files here")
        Path out;

        @Override
        public Integer call() {
            Main main = parent.main;
            if (seqLen != null && seqLen < 2) throw new ParameterException(spec.commandLine(), "--seq-len must be at least 2");
            if (maxTokens < 1) throw new ParameterException(spec.commandLine(), "--max-tokens must be positive");
            if (out != null) notAFile(out);
            try (LoadedModel m = Models.load(model)) {
                TunedLens tuned = TunedLens.load(lens, m);
                for (String w : tuned.warnings()) main.err().println("mesascope: warning: " + w);
                int len = seqLen != null ? seqLen : tuned.config().training() != null
                        ? Math.min(tuned.config().training().seqLen(), m.config().maxPositions())
                        : TunedLensSettings.defaults().seqLen(m.config().maxPositions());
                if (len > m.config().maxPositions()) {
                    throw new MesascopeException("--seq-len " + len + " is longer than the model's context of "
                            + m.config().maxPositions() + " positions");
                }
                Corpus.Windows windows = corpus.read(m, len, (int) Math.max(1, Math.min(Integer.MAX_VALUE,
                        (maxTokens + (long) len - 1) / len)));
                if (out != null) Outputs.checkWritable(Outputs.directory(out).resolve("tuned-lens.json"));
                main.selectDevice();
                LensEvaluator.Result result = LensEvaluator.evaluate(m.model(), tuned, windows.windows());
                TunedLensReport report = TunedLensReport.of(m.name(), lens.toString(), corpus.file.toString(), len, result);
                main.out().print(report.render());
                main.out().flush();
                if (out != null) {
                    List<Path> files;
                    try {
                        files = ReportFiles.write(report, out);
                    } catch (IOException e) {
                        throw Outputs.cannotWrite(out, e);
                    }
                    for (Path f : files) main.err().println("wrote " + f);
                }
            }
            return 0;
        }
    }

    /**
     * Training progress: a progress bar with the loss and ETA when stdout is a terminal (drawn there, as
     * {@code organisms train} does, because the launcher filters stderr line by line); otherwise about twenty
     * plain lines on stderr.
     */
    private abstract static class Progress implements TunedLensTrainer.Listener, AutoCloseable {
        static Progress open(String name, int steps, PrintWriter err) {
            boolean terminal = System.console() != null && System.console().isTerminal();
            return terminal ? new Bar(name, steps, err) : new Lines(name, steps, err);
        }

        @Override
        public abstract void close();
    }

    private static final class Bar extends Progress {
        private final ProgressBar bar;
        private final PrintWriter err;
        private boolean closed;

        Bar(String name, int steps, PrintWriter err) {
            this.err = err;
            bar = new ProgressBarBuilder().setTaskName(name).setInitialMax(steps).setUpdateIntervalMillis(250)
                    .setConsumer(new ConsoleProgressBarConsumer(System.out)).build();
        }

        @Override
        public void trained(int step, int steps, double loss) {
            bar.stepTo(step);
            bar.setExtraMessage(String.format(Locale.ROOT, "loss %.4f", loss));
        }

        @Override
        public void evaluating(int windows) {
            close();
            err.printf(Locale.ROOT, "scoring the lens on %d held-out windows ...%n", windows);
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            bar.close();
        }
    }

    private static final class Lines extends Progress {
        private final String name;
        private final PrintWriter err;
        private final int every;
        private final long start = System.nanoTime();

        Lines(String name, int steps, PrintWriter err) {
            this.name = name;
            this.err = err;
            this.every = Math.max(1, steps / 20);
        }

        @Override
        public void trained(int step, int steps, double loss) {
            if (step % every != 0 && step != steps && step != 1) return;
            double elapsed = (System.nanoTime() - start) / 1e9, left = elapsed / step * (steps - step);
            err.printf(Locale.ROOT, "%s: step %d/%d, loss %.4f, %.0f s elapsed, ~%.0f s left%n", name, step, steps, loss,
                    elapsed, left);
        }

        @Override
        public void evaluating(int windows) {
            err.printf(Locale.ROOT, "%s: scoring on %d held-out windows ...%n", name, windows);
        }

        @Override
        public void close() {
        }
    }
}
