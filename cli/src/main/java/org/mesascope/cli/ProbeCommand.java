package org.mesascope.cli;

import org.mesascope.cli.support.Outputs;
import org.mesascope.core.hooks.HookPoint;
import org.mesascope.core.hooks.HookNames;
import org.mesascope.core.MesascopeException;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.Models;
import org.mesascope.probes.ccs.CcsOptions;
import org.mesascope.probes.ccs.CcsProbes;
import org.mesascope.probes.ccs.CcsReport;
import org.mesascope.probes.ccs.ContrastLayer;
import org.mesascope.probes.dataset.ActivationDataset;
import org.mesascope.probes.dataset.ActivationWriter;
import org.mesascope.probes.dataset.DatasetHooks;
import org.mesascope.probes.dataset.JsonlDataset;
import org.mesascope.probes.dataset.Sidecar;
import org.mesascope.probes.linear.CvOptions;
import org.mesascope.probes.linear.LayerActivations;
import org.mesascope.probes.linear.LinearProbes;
import org.mesascope.probes.linear.LogisticProbe;
import org.mesascope.probes.linear.ProbeReport;
import org.mesascope.probes.linear.RidgeProbe;
import org.mesascope.probes.report.Report;
import org.mesascope.probes.report.ReportFiles;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code mesascope probe}: a probe per layer (logistic, ridge or CCS) on activations stored by
 * {@code mesascope activations}, or extracted here from a JSONL dataset; a summary table on stdout, the report (JSON,
 * CSV, HTML with the per-layer chart) and the probe directions (safetensors) in the output folder.
 */
@Command(name = "probe", mixinStandardHelpOptions = true,
        description = {"Fit a probe per layer: logistic or ridge regression (cross-validated), or CCS on contrast pairs.",
                "Reads a JSONL dataset (run through --model) or activations stored by `mesascope activations`. Writes"
                        + " DIR/probe.json, probe.html, probe-layers.csv and probe.safetensors (ccs.* for CCS)."})
final class ProbeCommand implements Callable<Integer> {
    enum Kind {
        LOGISTIC, RIDGE, CCS
    }

    @ParentCommand
    Main main;

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "MODEL", description = "the model to run over --dataset")
    String model;

    @ArgGroup(multiplicity = "1")
    Source source;

    static final class Source {
        @Option(names = "--dataset", required = true, paramLabel = "FILE", description = "a JSONL dataset (needs --model)")
        Path dataset;

        @Option(names = "--activations", required = true, paramLabel = "DIR",
                description = "activations stored by `mesascope activations`")
        Path activations;
    }

    @Option(names = "--hooks", split = ",", defaultValue = HookPoint.EVERY_RESID_POST, paramLabel = "GLOB",
            description = "one hook per layer (default: ${DEFAULT-VALUE})")
    List<String> hooks;

    @Option(names = "--position", paramLabel = "RULE",
            description = "with --dataset: last (default), all, marker:TEXT or field (see `mesascope activations`)")
    String position;

    @Option(names = "--probe", paramLabel = "PROBE",
            description = "logistic (default for prompts), ridge (numeric labels) or ccs (default for contrast pairs)")
    Kind probe;

    @Option(names = "--control", description = "logistic: also fit a control task (a random label per token type,"
            + " Hewitt & Liang 2019) and report the selectivity")
    boolean control;

    @Option(names = "--folds", defaultValue = "5", paramLabel = "K",
            description = "cross-validation folds for logistic and ridge (default: ${DEFAULT-VALUE})")
    int folds;

    @Option(names = "--restarts", defaultValue = "10", paramLabel = "N", description = "CCS random restarts (default: ${DEFAULT-VALUE})")
    int restarts;

    @Option(names = "--epochs", defaultValue = "1000", paramLabel = "N", description = "CCS epochs per restart (default: ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--test-fraction", defaultValue = "" + CcsProbes.DEFAULT_TEST_FRACTION, paramLabel = "F",
            description = "CCS: share of each label class held out for accuracy (default: ${DEFAULT-VALUE})")
    double testFraction;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "N", description = "folds, control task, split and restarts (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--batch", defaultValue = "" + ActivationWriter.DEFAULT_BATCH, paramLabel = "N",
            description = "with --dataset: rows per forward pass (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "DIR", description = "the folder for the report files")
    Path out;

    @Override
    public Integer call() throws IOException {
        checkOptions();
        // inputs are checked before the output folder is made, so that bad input leaves nothing behind
        if (source.activations != null) {
            ActivationDataset ds = ActivationDataset.open(source.activations);
            Kind kind = kindFor(ds.kind());
            checkLabels(kind, exampleLabels(ds.sidecar()), ds.sidecar().labelNames(), "the activations in " + ds.dir());
            List<String> chosen = DatasetHooks.select(hooks, ds.hooks(), "the activations in " + ds.dir());
            family(chosen);
            return fitAndWrite(kind, ds, ds.sidecar().model(), Outputs.directory(out));
        }
        JsonlDataset data = JsonlDataset.read(source.dataset);
        Kind kind = kindFor(data.kind());
        List<String> labels = data.examples().stream().map(JsonlDataset.Example::label).toList();
        checkLabels(kind, labels, data.labelNames(), source.dataset.toString());
        ActivationWriter.Options options = ActivationsCommand.options(hooks, position == null ? "last" : position, batch, 0);
        if (java.nio.file.Files.exists(out) && !java.nio.file.Files.isDirectory(out)) {
            throw new MesascopeException("cannot write " + out + ": it exists and is not a directory");
        }
        try (LoadedModel m = Models.load(model)) {
            ActivationWriter.Plan plan = ActivationWriter.plan(m, data, options);
            family(plan.hooks());
            main.selectDevice();
            return extractAndFit(kind, plan, m.name(), Outputs.directory(out));
        }
    }

    /** Runs the dataset into a hidden activation dataset inside {@code dir}, fits, and removes it. */
    private int extractAndFit(Kind kind, ActivationWriter.Plan plan, String modelName, Path dir) throws IOException {
        Path temp = dir.resolve(".activations-" + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36));
        try {
            plan.write(temp, ActivationWriter.Progress.NONE);
            return fitAndWrite(kind, ActivationDataset.open(temp), modelName, dir);
        } finally {
            ActivationWriter.delete(temp);
        }
    }

    private void checkOptions() {
        if (source.dataset != null && model == null) throw usage("--dataset needs --model (the model to run over it)");
        if (source.activations != null && position != null) {
            throw usage("--position applies to --dataset; stored activations keep the positions they were written with");
        }
        if (folds < 2) throw usage("--folds must be at least 2, got " + folds);
        if (restarts < 1) throw usage("--restarts must be at least 1, got " + restarts);
        if (epochs < 1) throw usage("--epochs must be at least 1, got " + epochs);
        if (!(testFraction > 0 && testFraction < 1)) throw usage("--test-fraction must be between 0 and 1, got " + testFraction);
        if (batch < 1) throw usage("--batch must be at least 1, got " + batch);
        if (control && probe != null && probe != Kind.LOGISTIC) throw usage("--control goes with --probe logistic");
    }

    /** The probe for a dataset of this kind: as asked, or logistic for prompts and CCS for pairs. */
    private Kind kindFor(JsonlDataset.Kind data) {
        Kind kind = probe != null ? probe : data == JsonlDataset.Kind.PAIRS ? Kind.CCS : Kind.LOGISTIC;
        if (kind == Kind.CCS && data != JsonlDataset.Kind.PAIRS) {
            throw new MesascopeException("--probe ccs needs contrast pairs ({\"positive\": ..., \"negative\": ...}); this"
                    + " dataset has prompts");
        }
        if (kind != Kind.CCS && data == JsonlDataset.Kind.PAIRS) {
            throw new MesascopeException("--probe " + EnumOption.label(kind) + " needs prompt rows; this dataset has contrast pairs"
                    + " (use --probe ccs)");
        }
        if (control && kind != Kind.LOGISTIC) throw new MesascopeException("--control goes with --probe logistic");
        return kind;
    }

    /**
     * The labels a probe needs, checked before any model runs: logistic and ridge need a label on every row, two or
     * more distinct values, and (logistic) each class in every fold; ridge needs numbers. CCS takes pairs without
     * labels, but labels it is given must be two values, each on at least two pairs (one held out, one to train).
     */
    static void checkLabels(Kind kind, List<String> labels, List<String> names, String source, int folds) {
        if (kind == Kind.CCS) {
            if (names.isEmpty()) return;
            JsonlDataset.requireTwoClasses(source, names);
            if (names.size() > 2) {
                throw new MesascopeException("CCS is binary, but " + source + " has " + names.size() + " label values "
                        + names + "; use two (e.g. true/false: is the positive half true?)");
            }
            for (String name : names) {
                long count = labels.stream().filter(name::equals).count();
                if (count < 2) {
                    throw new MesascopeException("label '" + name + "' in " + source + " is on " + count + " pair; CCS"
                            + " holds labelled pairs out for accuracy and needs at least 2 of each");
                }
            }
            return;
        }
        for (int i = 0; i < labels.size(); i++) {
            if (labels.get(i) == null) {
                throw new MesascopeException("row " + (i + 1) + " of " + source + " has no label; --probe " + EnumOption.label(kind)
                        + " needs one on every row");
            }
        }
        JsonlDataset.requireTwoClasses(source, names);
        if (kind == Kind.RIDGE) {
            for (String name : names) {
                if (number(name) == null) {
                    throw new MesascopeException("--probe ridge regresses numbers, but " + source + " has the label '"
                            + name + "'");
                }
            }
            if (labels.size() < folds) {
                throw new MesascopeException(source + " has " + labels.size() + " rows, fewer than the " + folds + " folds");
            }
            return;
        }
        for (String name : names) {
            long count = labels.stream().filter(name::equals).count();
            if (count < folds) {
                throw new MesascopeException("label '" + name + "' in " + source + " has " + count
                        + " rows, fewer than the " + folds + " folds (lower --folds)");
            }
        }
    }

    private void checkLabels(Kind kind, List<String> labels, List<String> names, String source) {
        checkLabels(kind, labels, names, source, folds);
    }

    private static List<String> exampleLabels(Sidecar s) {
        return s.examples().stream().map(Sidecar.ExampleRows::label).toList();
    }

    /** The template of one hook per layer ({@code blocks.{l}.X}); anything else is refused. */
    static String family(List<String> hooks) {
        Set<String> templates = new LinkedHashSet<>();
        for (String h : hooks) templates.add(HookNames.template(h));
        if (templates.size() != 1 || HookNames.layer(hooks.getFirst()) < 0) {
            throw new MesascopeException("a probe is fitted per layer on one kind of block hook, but --hooks selects "
                    + String.join(", ", templates) + "; choose one, e.g. " + HookPoint.EVERY_RESID_POST);
        }
        return templates.iterator().next();
    }

    private int fitAndWrite(Kind kind, ActivationDataset ds, String modelName, Path dir) throws IOException {
        List<String> chosen = DatasetHooks.select(hooks, ds.hooks(), "the activations in " + ds.dir());
        String template = family(chosen);
        Report report;
        Path directions;
        if (kind == Kind.CCS) {
            CcsReport ccs = ccs(ds, chosen, template, modelName);
            directions = dir.resolve("ccs.safetensors");
            ccs.writeSafetensors(directions);
            report = ccs;
            printCcs(main.out(), ccs);
        } else {
            ProbeReport linear = linear(kind, ds, chosen, template);
            directions = dir.resolve("probe.safetensors");
            linear.writeSafetensors(directions);
            report = linear;
            printLinear(main.out(), linear);
        }
        main.out().flush();
        List<Path> files = new ArrayList<>(ReportFiles.write(report, dir));
        files.add(directions);
        main.err().println("wrote " + String.join(", ", files.stream().map(p -> p.getFileName().toString()).toList())
                + " to " + dir);
        return 0;
    }

    /**
     * One layer at a time, so that only one layer's rows are in memory; every layer uses the same folds (they depend
     * on the labels and the seed only), so the reports join into the one {@link LinearProbes} would give.
     */
    private ProbeReport linear(Kind kind, ActivationDataset ds, List<String> chosen, String template) {
        List<String> names = ds.sidecar().labelNames();
        String[] rowLabels = ds.rowLabels();
        List<ProbeReport.Layer> layers = new ArrayList<>();
        ProbeReport last = null;
        for (String hook : chosen) {
            List<LayerActivations> one = List.of(new LayerActivations(HookNames.layer(hook), ds.load(hook, "")));
            if (kind == Kind.LOGISTIC) {
                int[] y = new int[rowLabels.length];
                for (int r = 0; r < y.length; r++) y[r] = names.indexOf(rowLabels[r]);
                CvOptions options = LogisticProbe.defaults().withFolds(folds).withSeed(seed);
                last = LinearProbes.classify(template, one, y, names, control ? controlTypes(ds) : null, options);
            } else {
                double[][] targets = new double[rowLabels.length][];
                for (int r = 0; r < targets.length; r++) targets[r] = new double[]{number(rowLabels[r])};
                last = LinearProbes.regress(template, one, targets, List.of("label"),
                        RidgeProbe.defaults().withFolds(folds).withSeed(seed));
            }
            layers.addAll(last.layers());
        }
        return new ProbeReport(last.probe(), last.hook(), last.readout(), last.metric(), last.regularizationParameter(),
                last.labelNames(), last.folds(), last.seed(), layers);
    }

    /** The control task's types: the token at each row's position; a single type cannot carry a control task. */
    private static int[] controlTypes(ActivationDataset ds) {
        int[] types = ds.rowTokens(0);
        if (java.util.Arrays.stream(types).distinct().count() < 2) {
            throw new MesascopeException("--control gives each token type a random label, but every row has token "
                    + types[0] + " at its position; the control task needs several types (e.g. --position all)");
        }
        return types;
    }

    /** As {@link #linear}: one layer at a time, the same split for each (it depends on the labels and the seed only). */
    private CcsReport ccs(ActivationDataset ds, List<String> chosen, String template, String modelName) {
        List<String> names = ds.sidecar().labelNames();
        int[] labels = null;
        if (!names.isEmpty()) {
            String[] rowLabels = ds.rowLabels();
            labels = new int[rowLabels.length];
            for (int r = 0; r < labels.length; r++) labels[r] = names.indexOf(rowLabels[r]); // -1: unlabelled
        }
        CcsOptions options = new CcsOptions(restarts, epochs, CcsOptions.defaults().learningRate(),
                CcsOptions.defaults().weightDecay(), seed);
        List<CcsReport.Layer> layers = new ArrayList<>();
        CcsReport last = null;
        for (String hook : chosen) {
            ContrastLayer layer = new ContrastLayer(HookNames.layer(hook), ds.load(hook, "positive"),
                    ds.load(hook, "negative"));
            last = CcsProbes.run(modelName, template, List.of(layer), labels, names, options, testFraction);
            layers.addAll(last.layers());
        }
        return new CcsReport(last.probe(), last.model(), last.hook(), last.options(), last.testFraction(), last.pairs(),
                last.trainPairs(), last.testPairs(), last.labelNames(), layers);
    }

    static void printLinear(PrintWriter o, ProbeReport r) {
        boolean control = r.layers().stream().anyMatch(l -> l.controlAccuracy() != null);
        o.printf(Locale.ROOT, "%s probe per layer on %s, %d-fold cross-validated %s (mean ± std over folds)%n", r.probe(),
                r.hook(), r.folds(), r.metric());
        o.printf(Locale.ROOT, "%-6s %-32s %-17s %-9s%s%n", "layer", "hook", r.metric(), r.regularizationParameter(),
                control ? " control  selectivity" : "");
        for (ProbeReport.Layer l : r.layers()) {
            o.printf(Locale.ROOT, "%-6d %-32s %.3f ± %.3f     %-9s%s%n", l.layer(), l.hook(), l.cvMean(), l.cvStd(),
                    compact(l.regularization()), control ? String.format(Locale.ROOT, " %7.3f  %11.3f", l.controlAccuracy(),
                            l.selectivity()) : "");
        }
    }

    static void printCcs(PrintWriter o, CcsReport r) {
        o.printf(Locale.ROOT, "CCS per layer on %s: %d pairs, %d to train, %d held out (accuracy sign-agnostic)%n",
                r.hook(), r.pairs(), r.trainPairs(), r.testPairs());
        o.printf(Locale.ROOT, "%-6s %-32s %-9s %-12s %-12s%n", "layer", "hook", "ccs loss", "ccs acc", "logistic acc");
        for (CcsReport.Layer l : r.layers()) {
            o.printf(Locale.ROOT, "%-6d %-32s %-9.4f %-12s %-12s%n", l.layer(), l.hook(), l.loss(), format(l.accuracy()),
                    format(l.logisticAccuracy()));
        }
    }

    /** 0.0001, 100, 1E+4: a regularization value of the grid, without trailing zeros. */
    private static String compact(double v) {
        return new java.math.BigDecimal(v).round(new java.math.MathContext(3)).stripTrailingZeros().toString();
    }

    private static String format(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.3f", v);
    }

    private static Double number(String label) {
        try {
            double v = Double.parseDouble(label);
            return Double.isFinite(v) ? v : null;
        } catch (NumberFormatException | NullPointerException e) {
            return null;
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
