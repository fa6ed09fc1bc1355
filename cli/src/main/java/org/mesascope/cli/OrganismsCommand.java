package org.mesascope.cli;

import org.mesascope.cli.support.Outputs;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import org.mesascope.organisms.Organism;
import org.mesascope.organisms.OrganismCard;
import org.mesascope.organisms.OrganismTrainer;
import org.mesascope.organisms.Organisms;
import org.mesascope.organisms.TrainingConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/** {@code mesascope organisms train NAME} and {@code mesascope organisms list}. */
@Command(name = "organisms", mixinStandardHelpOptions = true,
        description = "Model organisms: tiny GPT-2s trained by Mesascope on tasks whose solution is known.",
        subcommands = {OrganismsCommand.Train.class, OrganismsCommand.ListCommand.class})
final class OrganismsCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(main.err());
        return Main.USAGE;
    }

    @Command(name = "train", mixinStandardHelpOptions = true,
            description = {"Train an organism on the CPU (libtorch), export it as a Hugging Face checkpoint, evaluate it"
                    + " on held-out data through Mesascope's engine and write its model card (README.md, organism.json,"
                    + " training-curve.png).", "Deterministic given the seed (same machine and thread count)."})
    static final class Train implements Callable<Integer> {
        @ParentCommand
        OrganismsCommand parent;

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME", description = "the organism (see `mesascope organisms list`)")
        String name;

        @Option(names = "--seed", paramLabel = "S", description = "seed of the weights and data (default: the organism's)")
        Long seed;

        @Option(names = "--steps", paramLabel = "N", description = "optimizer steps (default: the organism's)")
        Integer steps;

        @Option(names = "--out", paramLabel = "DIR", description = "where the checkpoint goes (default: models/NAME)")
        Path out;

        @Override
        public Integer call() {
            Main main = parent.main;
            Organism organism = Organisms.all().stream().filter(o -> o.name().equals(name)).findFirst()
                    .orElseThrow(() -> new ParameterException(spec.commandLine(), "unknown organism '" + name
                            + "' (known: " + known() + ")"));
            if (steps != null && steps < 1) throw new ParameterException(spec.commandLine(), "--steps must be positive");
            TrainingConfig config = organism.training();
            if (seed != null) config = config.withSeed(seed);
            if (steps != null) config = config.withSteps(steps);
            Path dir = Outputs.directory(out != null ? out : Outputs.modelsDir().resolve(name));
            main.selectDevice();

            String command = "mesascope organisms train " + name + " --seed " + config.seed() + " --steps " + config.steps();
            main.err().printf(Locale.ROOT, "%s: training %d steps of %d examples (seed %d) ...%n", name, config.steps(),
                    config.batchSize(), config.seed());
            OrganismCard card;
            try (Progress progress = Progress.open(name, config.steps(), organism.readsVectors(), main.err())) {
                card = organism.build(config, dir, command, progress);
            }
            print(main.out(), card, dir);
            return 0;
        }

        private static void print(PrintWriter o, OrganismCard card, Path dir) {
            long bytes = dir.resolve("model.safetensors").toFile().length();
            o.printf(Locale.ROOT, "%s: trained in %.0f s; checkpoint %s (%,d parameters, %.2f MB)%n", card.task(),
                    card.trainSeconds(), dir, card.parameters(), bytes / 1e6);
            if (card.measuresError()) {
                o.printf(Locale.ROOT, "held-out, %,d sequences each, mean squared error, predictions by Mesascope's"
                        + " engine (%.0f s):%n", card.heldOutExamples(), card.evalSeconds());
            } else {
                o.printf(Locale.ROOT, "held-out, %,d examples each, greedy decoding by Mesascope's engine (%.0f s):%n",
                        card.heldOutExamples(), card.evalSeconds());
            }
            int width = card.heldOut().keySet().stream().mapToInt(String::length).max().orElse(0);
            card.heldOut().forEach((k, v) -> o.printf(Locale.ROOT, "  %-" + width + "s  %8s%n", k, card.format(v)));
            o.println("model card: " + dir.resolve("README.md"));
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"The trained organisms (folders with an organism.json) and their held-out results: exact-match"
                    + " accuracy for the token organisms, mean squared error for the vector ones (in-context regression)."})
    static final class ListCommand implements Callable<Integer> {
        @ParentCommand
        OrganismsCommand parent;

        @Option(names = "--dir", paramLabel = "DIR", description = "where to look (default: models/ of this checkout)")
        Path dir;

        @Override
        public Integer call() {
            PrintWriter o = parent.main.out();
            Path models = dir != null ? dir : Outputs.modelsDir();
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[]{"NAME", "TASK", "PARAMS", "HELD-OUT", "OTHER HELD-OUT MEASUREMENTS"});
            for (Path folder : OrganismCard.folders(models)) {
                OrganismCard c = OrganismCard.read(folder);
                // the headline: exact-match accuracy, or the squared error at the query; then everything else
                String key = c.measuresError() ? "query_error" : "accuracy";
                Map<String, Double> m = c.heldOut();
                String others = m.entrySet().stream().filter(e -> !e.getKey().equals(key))
                        .map(e -> e.getKey() + " " + c.format(e.getValue()))
                        .collect(Collectors.joining(", "));
                String headline = m.containsKey(key) ? (c.measuresError() ? "error " : "") + c.format(m.get(key)) : "-";
                rows.add(new String[]{folder.getFileName().toString(), c.task(), String.format(Locale.ROOT, "%,d", c.parameters()),
                        headline, others});
            }
            if (rows.size() == 1) {
                o.println("no trained organisms under " + models);
            } else {
                int[] width = new int[4];
                for (String[] r : rows) for (int i = 0; i < 4; i++) width[i] = Math.max(width[i], r[i].length());
                for (String[] r : rows) {
                    o.printf("%-" + width[0] + "s  %-" + width[1] + "s  %" + width[2] + "s  %" + width[3] + "s  %s%n",
                            (Object[]) r);
                }
            }
            o.println("trainable (mesascope organisms train NAME): " + known());
            return 0;
        }
    }

    private static String known() {
        return Organisms.all().stream().map(Organism::name).collect(Collectors.joining(", "));
    }

    /**
     * Training progress: a progress bar with loss, held-out accuracy and ETA when stdout is a terminal, drawn there
     * because the launcher filters stderr through grep, which holds back a bar's carriage-return redraws until a line
     * ends; otherwise (a pipe, a log) one plain line on stderr per curve point.
     */
    private abstract static class Progress implements OrganismTrainer.Listener, AutoCloseable {
        final String name;
        final int steps;
        /** The held-out measure is the squared error at the query (in-context regression), not exact-match accuracy. */
        final boolean error;
        final PrintWriter err;
        double heldOut = Double.NaN;

        Progress(String name, int steps, boolean error, PrintWriter err) {
            this.name = name;
            this.steps = steps;
            this.error = error;
            this.err = err;
        }

        static Progress open(String name, int steps, boolean error, PrintWriter err) {
            boolean terminal = System.console() != null && System.console().isTerminal();
            return terminal ? new Bar(name, steps, error, err) : new Lines(name, steps, error, err);
        }

        @Override
        public final void evaluated(int step, double heldOut) {
            this.heldOut = heldOut;
            curvePoint(step);
            if (step == steps) {
                close();
                err.printf(Locale.ROOT, "%s: exporting, then measuring the checkpoint on %,d held-out %s per"
                        + " measurement ...%n", name, Organism.HELD_OUT_EXAMPLES, error ? "sequences" : "examples");
            }
        }

        abstract void curvePoint(int step);

        /** Ends the display; safe to call again. */
        @Override
        public abstract void close();

        String status(double loss) {
            String measure = Double.isNaN(heldOut) ? "-" : error ? String.format(Locale.ROOT, "%.4f", heldOut)
                    : String.format(Locale.ROOT, "%.1f%%", 100 * heldOut);
            return String.format(Locale.ROOT, "loss %.4f, held-out %s %s", loss, error ? "query error" : "accuracy", measure);
        }
    }

    private static final class Bar extends Progress {
        private final ProgressBar bar;
        private boolean closed;

        Bar(String name, int steps, boolean error, PrintWriter err) {
            super(name, steps, error, err);
            bar = new ProgressBarBuilder().setTaskName(name).setInitialMax(steps).setUpdateIntervalMillis(250)
                    .setConsumer(new ConsoleProgressBarConsumer(System.out)).build();
        }

        @Override
        public void trained(int step, double loss) {
            bar.stepTo(step);
            bar.setExtraMessage(status(loss));
        }

        @Override
        void curvePoint(int step) {
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            bar.close();
        }
    }

    private static final class Lines extends Progress {
        private final long start = System.nanoTime();
        private double windowLoss;
        private int windowSteps;

        Lines(String name, int steps, boolean error, PrintWriter err) {
            super(name, steps, error, err);
        }

        @Override
        public void trained(int step, double loss) {
            windowLoss += loss;
            windowSteps++;
        }

        @Override
        void curvePoint(int step) {
            double elapsed = (System.nanoTime() - start) / 1e9, left = elapsed / step * (steps - step);
            err.printf(Locale.ROOT, "%s: step %d/%d, %s, %.0f s elapsed, ~%.0f s left%n", name, step, steps,
                    status(windowLoss / windowSteps), elapsed, left);
            windowLoss = 0;
            windowSteps = 0;
        }

        @Override
        public void close() {
        }
    }
}
