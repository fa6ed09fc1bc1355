package org.mesascope.cli.demo;

import org.mesascope.probes.report.Html;
import org.mesascope.probes.lens.LensJson;
import org.mesascope.probes.lens.LensReport;
import org.mesascope.probes.lens.LensTable;
import org.mesascope.probes.lens.LogitLens;
import org.mesascope.probes.linear.CvOptions;
import org.mesascope.probes.linear.LayerActivations;
import org.mesascope.probes.linear.LogisticProbe;
import org.mesascope.probes.linear.ProbeReport;
import org.mesascope.organisms.Organism;
import org.mesascope.organisms.OrganismCard;
import org.mesascope.organisms.Organisms;
import org.mesascope.organisms.SearchExample;
import org.mesascope.organisms.SearchFormat;
import org.mesascope.organisms.SearchGenerator;
import org.mesascope.organisms.Task;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import java.util.stream.IntStream;

/**
 * The graph-search organism (and its control twin when shipped): the logit lens of one example, prompt followed by
 * the true path, showing where across layers each path node appears; and two linear probes per layer, from the
 * ground truth the task exposes ({@link SearchExample}), at the position where the model takes the path's one real
 * decision (the start node written after the prompt, where it must produce the start's successor on the goal's arm):
 * for the goal, what the search starts from, and for that next node, what it finds. Every model reads the search
 * task's prompts: fresh graphs, which only a model that searches can answer.
 */
final class DemoSearch implements DemoSection {
    static final String NAME = "search", CONTROL = "search-control";
    static final int PROBE_EXAMPLES = 500;
    static final long SEED = 11;
    /**
     * C from 0.01 to 1: one class per node label leaves a dozen or so rows per class, which weaker regularization
     * would only fit by memorizing; and the fits, one output per node label, stay within the demo's time.
     */
    static final CvOptions PROBE_OPTIONS = LogisticProbe.defaults().withGrid(CvOptions.logGrid(-2, 0, 3));
    private static final String ID = "search", TITLE = "Graph search: the path emerging across layers";

    /** What the demo found for one model. */
    record Run(String name, OrganismCard card, String completion, boolean correct, LensReport lens, ProbeReport goal,
               ProbeReport next) {
        Run withProbes(ProbeReport goal, ProbeReport next) {
            return new Run(name, card, completion, correct, lens, goal, next);
        }
    }

    /**
     * One probe's rows: the examples kept (those whose label occurs at least as often as there are folds, as
     * stratified cross-validation needs), their class labels, the class names and the share of the commonest class.
     */
    record Labels(int[] rows, int[] labels, List<String> names, double chance) {
        /** The probe of these labels on the kept rows of {@code layers} (one row per example). */
        DemoProbe probe(List<LayerActivations> layers) {
            List<LayerActivations> kept = layers.stream().map(l -> new LayerActivations(l.layer(),
                    Arrays.stream(rows).mapToObj(i -> l.rows()[i]).toArray(double[][]::new))).toList();
            return new DemoProbe(kept, labels, names, PROBE_OPTIONS);
        }
    }

    private final SearchGenerator task;
    private final SearchExample example;
    private final List<Run> runs;
    private final Labels goal, next;

    private DemoSearch(SearchGenerator task, SearchExample example, List<Run> runs, Labels goal, Labels next) {
        this.task = task;
        this.example = example;
        this.runs = runs;
        this.goal = goal;
        this.next = next;
    }

    /**
     * The section for {@code models/search} (and {@code models/search-control} when shipped), or why it cannot run. An
     * organism is there once its organism.json is: training writes that last, after the checkpoint and its evaluation.
     */
    static DemoSection run(Path models) {
        Path dir = models.resolve(NAME).toAbsolutePath().normalize();
        if (!finished(dir)) {
            return new Missing(ID, TITLE, (Files.isDirectory(dir) ? dir + " has no " + OrganismCard.JSON_FILE
                    + " yet (still training?)" : "no " + dir + " yet: the search organism has not been shipped")
                    + "; this section runs once it is there");
        }
        OrganismCard card = OrganismCard.read(dir);
        SearchGenerator task = Organisms.all().stream().filter(o -> o.name().equals(card.task())).map(Organism::task)
                .filter(SearchGenerator.class::isInstance).map(SearchGenerator.class::cast).findFirst().orElse(null);
        if (task == null) {
            return new Missing(ID, TITLE, dir + " holds task '" + card.task() + "', which this build does not know as"
                    + " a graph-search organism");
        }
        List<Path> dirs = new ArrayList<>(List.of(dir));
        if (finished(models.resolve(CONTROL))) dirs.add(models.resolve(CONTROL));
        List<DemoModel> opened = new ArrayList<>();
        try {
            for (Path d : dirs) {
                DemoModel m = DemoModel.open(d);
                opened.add(m);
                if (m.model().config().vocabSize() != task.vocabulary().size()
                        || m.model().config().maxPositions() < task.contextLength()) {
                    return new Missing(ID, TITLE, d + " does not fit task '" + task.name() + "' of this build (vocabulary "
                            + m.model().config().vocabSize() + " vs " + task.vocabulary().size() + ", context "
                            + m.model().config().maxPositions() + " vs " + task.contextLength() + ")");
                }
            }
            return run(opened, task);
        } finally {
            opened.forEach(DemoModel::close);
        }
    }

    private static boolean finished(Path organism) {
        return Files.isRegularFile(organism.resolve(OrganismCard.JSON_FILE));
    }

    /** Runs the section on open models that read {@code task}'s vocabulary. */
    static DemoSearch run(List<DemoModel> models, SearchGenerator task) {
        SplittableRandom random = new SplittableRandom(SEED);
        List<SearchExample> examples = new ArrayList<>(PROBE_EXAMPLES);
        for (int i = 0; i < PROBE_EXAMPLES; i++) examples.add(task.sampleWithTruth(random));
        Labels goal = labels(task, examples, SearchExample::goal);
        Labels next = labels(task, examples, e -> e.path()[1]);
        // each prompt and the start node written after it, where the model decides: both probes read that position
        List<int[]> sequences = examples.stream().map(e -> DemoText.concat(e.encode().prompt(),
                Arrays.copyOf(e.encode().target(), 1))).toList();

        SearchExample shown = examples.getFirst();
        Task.Example tokens = shown.encode();
        int[] target = tokens.target();
        int[] lensTokens = DemoText.concat(tokens.prompt(), Arrays.copyOf(target, target.length - 1));
        List<Run> runs = new ArrayList<>();
        List<DemoProbe> probes = new ArrayList<>();
        for (DemoModel m : models) {
            int[] completion = m.complete(tokens.prompt(), SearchFormat.END);
            LensReport lens = LogitLens.run(m.loaded(), lensTokens, 5, null);
            runs.add(new Run(m.name(), m.card(), DemoText.words(task, completion), Arrays.equals(completion, target),
                    lens, null, null));
            List<LayerActivations> residuals = m.lastPositionResiduals(sequences);
            probes.add(goal.probe(residuals));
            probes.add(next.probe(residuals));
        }
        List<ProbeReport> reports = DemoProbe.fitAll(probes);
        for (int i = 0; i < runs.size(); i++) runs.set(i, runs.get(i).withProbes(reports.get(2 * i), reports.get(2 * i + 1)));
        return new DemoSearch(task, shown, List.copyOf(runs), goal, next);
    }

    /** Node labels as classes, named by their tokens; nodes seen fewer times than there are folds are left out. */
    static Labels labels(SearchGenerator task, List<SearchExample> examples, ToIntFunction<SearchExample> node) {
        Map<Integer, Integer> counts = new TreeMap<>();
        for (SearchExample e : examples) counts.merge(node.applyAsInt(e), 1, Integer::sum);
        Map<Integer, Integer> classOf = new LinkedHashMap<>();
        List<String> names = new ArrayList<>();
        counts.forEach((label, count) -> {
            if (count >= PROBE_OPTIONS.folds()) {
                classOf.put(label, names.size());
                names.add(task.vocabulary().get(SearchFormat.nodeToken(label)));
            }
        });
        int[] rows = IntStream.range(0, examples.size())
                .filter(i -> classOf.containsKey(node.applyAsInt(examples.get(i)))).toArray();
        int[] labels = Arrays.stream(rows).map(i -> classOf.get(node.applyAsInt(examples.get(i)))).toArray();
        int commonest = classOf.keySet().stream().mapToInt(counts::get).max().orElse(0);
        return new Labels(rows, labels, List.copyOf(names), (double) commonest / rows.length);
    }

    /** The lens position where the model writes the first decision: the start node, just after the prompt. */
    private int decision() {
        return example.encode().prompt().length;
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String title() {
        return TITLE;
    }

    @Override
    public void summarize(PrintWriter o) {
        Task.Example tokens = example.encode();
        o.println("GRAPH SEARCH: find the path from START to GOAL in a graph drawn fresh for every prompt");
        for (Run r : runs) {
            o.printf(Locale.ROOT, "  %-16s %d layers, d_model %d, %,d parameters; held-out %s%n", r.name,
                    r.card.shape().layers(), r.card.shape().dModel(), r.card.parameters(),
                    DemoText.measurements(r.card));
        }
        o.println("an example (seed " + SEED + "):");
        o.println("  prompt  " + DemoText.words(task, tokens.prompt()));
        o.println("  path    " + DemoText.words(task, tokens.target()));
        for (Run r : runs) o.printf("  %-16s %s  (%s)%n", r.name, r.completion, r.correct ? "correct" : "wrong");
        o.println("logit lens of prompt + path, at the first decision (the start node, where the next node is written):");
        for (Run r : runs) o.printf("  %-16s %s%n", r.name, DemoAnswer.at(r.lens, decision()).describe());
        Run first = runs.getFirst();
        o.print(DemoText.indent(LensTable.render(first.lens, first.lens.tokens().size() - tokens.prompt().length + 1)));
        o.printf(Locale.ROOT, "linear probes per layer on %s at the first decision, %d-fold cross-validated accuracy:%n",
                DemoModel.PROBE_HOOK, PROBE_OPTIONS.folds());
        o.printf(Locale.ROOT, "  the goal node (%,d examples, %d classes, chance %.2f):%n", goal.rows.length,
                goal.names.size(), goal.chance);
        DemoText.printProbes(o, reports(Run::goal));
        o.printf(Locale.ROOT, "  the next path node (%,d examples, %d classes, chance %.2f):%n", next.rows.length,
                next.names.size(), next.chance);
        DemoText.printProbes(o, reports(Run::next));
    }

    @Override
    public String html() {
        Task.Example tokens = example.encode();
        StringBuilder sb = new StringBuilder();
        OrganismCard card = runs.getFirst().card;
        sb.append("<p>").append(DemoHtml.markdown(card.description())).append("</p>\n");
        sb.append("<h3>The models</h3>\n");
        Map<String, OrganismCard> cards = new LinkedHashMap<>();
        runs.forEach(r -> cards.put(r.name, r.card));
        sb.append(DemoHtml.cards(cards));

        sb.append("<h3>An example</h3>\n<p>Drawn from the task's generator (seed ").append(SEED)
                .append("): a graph no model has seen.</p>\n");
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("prompt", "<span class=\"words\">" + Html.escape(DemoText.words(task, tokens.prompt())) + "</span>"));
        rows.add(List.of("the path", DemoHtml.code(DemoText.words(task, tokens.target()))));
        for (Run r : runs) {
            rows.add(List.of(Html.escape(r.name + " writes"), DemoHtml.code(r.completion) + (r.correct ? " ✓" : " ✗")));
        }
        sb.append(DemoHtml.table(List.of(), rows));

        sb.append("<h3>Logit lens: the path emerging across layers</h3>\n<p>The prompt followed by the true path;"
                + " outlined: the positions where a path token is written. At position ").append(decision())
                .append(" (the start node) the model must write the start's successor on the goal's arm: the one step"
                        + " that needs search, since every later step follows the only edge out of the node just"
                        + " written.</p>\n");
        int answerFrom = tokens.prompt().length - 1;
        for (Run r : runs) {
            sb.append(DemoHtml.lens(r.name + ": " + DemoAnswer.at(r.lens, decision()).describe(), r.lens,
                    t -> t >= answerFrom));
        }

        sb.append("<h3>Linear probes per layer at the decision</h3>\n<p>Logistic probes on ")
                .append(DemoHtml.code(DemoModel.PROBE_HOOK)).append(" at the start node written after the prompt, over ")
                .append(PROBE_EXAMPLES).append(" examples (seed ").append(SEED)
                .append("), one class per node label (labels seen fewer times than there are folds left out), C chosen"
                        + " by cross-validation. The goal is what the search starts from; the next node is what it must"
                        + " find, by following edges back from the goal, listed anywhere in the prompt. A model that"
                        + " searches should carry the goal from early layers and the next node only in later ones.</p>\n");
        sb.append(DemoHtml.probes("probe accuracy per layer: the goal node", reports(Run::goal), goal.chance));
        sb.append(DemoHtml.probes("probe accuracy per layer: the next path node", reports(Run::next), next.chance));
        return sb.toString();
    }

    @Override
    public Map<String, String> records() {
        Map<String, String> files = new LinkedHashMap<>();
        for (Run r : runs) {
            files.put(r.name + "-lens.json", LensJson.toJson(r.lens) + "\n");
            files.put(r.name + "-goal-probe.json", r.goal.toJson() + "\n");
            files.put(r.name + "-next-probe.json", r.next.toJson() + "\n");
        }
        return files;
    }

    List<Run> runs() {
        return runs;
    }

    private Map<String, ProbeReport> reports(Function<Run, ProbeReport> probe) {
        Map<String, ProbeReport> out = new LinkedHashMap<>();
        runs.forEach(r -> out.put(r.name, probe.apply(r)));
        return out;
    }
}
