package org.mesascope.organisms;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.mesascope.core.MesascopeException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What a trained organism's folder says about it, beside the checkpoint: {@value #JSON_FILE} (this record, snake_case
 * keys), README.md (the model card, for people) and {@value #CURVE_FILE}.
 *
 * @param task            the task's name
 * @param description     the data generator, a Markdown paragraph
 * @param command         the command line that repeats the run
 * @param trainSeconds    wall-clock seconds of training, curve evaluations included
 * @param machine         where it was trained
 * @param heldOutExamples examples behind each held-out measurement
 * @param heldOut         measurement name → value, through Mesascope's engine on the exported folder: a fraction in
 *                        [0, 1] when {@code metric} is {@value #EXACT_MATCH}, a mean squared error when it is
 *                        {@value #SQUARED_ERROR}; the first entry is the headline ({@code organisms list})
 * @param evalSeconds     wall-clock seconds of those measurements
 * @param samples         held-out prompts with the model's completions (or queries with its predictions)
 * @param curve           the training curve
 * @param metric          what {@code heldOut} and the curve's held-out points measure: {@value #EXACT_MATCH} (token
 *                        organisms; also what a card without this field means) or {@value #SQUARED_ERROR} (vector
 *                        organisms)
 * @param contextCurves   vector organisms: held-out error by context size, the model's and the baselines'; empty for
 *                        token organisms
 */
public record OrganismCard(String task, String description, Gpt2Shape shape, long parameters, TrainingConfig training,
                           String command, double trainSeconds, String machine, int heldOutExamples,
                           Map<String, Double> heldOut, double evalSeconds, List<String> samples,
                           List<OrganismTrainer.CurvePoint> curve, String metric,
                           List<IclEvaluation.ErrorCurve> contextCurves) {
    public static final String JSON_FILE = "organism.json";
    public static final String CURVE_FILE = "training-curve.png";
    /** The in-context error curves of a vector organism. */
    public static final String CONTEXT_FILE = "error-by-context.png";
    /** {@code metric} of token organisms: held-out values are exact-match fractions. */
    public static final String EXACT_MATCH = "exact_match";
    /** {@code metric} of vector organisms: held-out values are mean squared errors. */
    public static final String SQUARED_ERROR = "squared_error";
    private static final JsonMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).build();

    public OrganismCard {
        if (metric == null) metric = EXACT_MATCH;  // cards written before vector organisms existed
        if (!metric.equals(EXACT_MATCH) && !metric.equals(SQUARED_ERROR)) {
            throw new IllegalArgumentException("metric must be " + EXACT_MATCH + " or " + SQUARED_ERROR + ", not " + metric);
        }
        contextCurves = contextCurves == null ? List.of() : List.copyOf(contextCurves);
    }

    /** A token organism's card (exact-match measurements, no context curves). */
    public OrganismCard(String task, String description, Gpt2Shape shape, long parameters, TrainingConfig training,
                        String command, double trainSeconds, String machine, int heldOutExamples,
                        Map<String, Double> heldOut, double evalSeconds, List<String> samples,
                        List<OrganismTrainer.CurvePoint> curve) {
        this(task, description, shape, parameters, training, command, trainSeconds, machine, heldOutExamples, heldOut,
                evalSeconds, samples, curve, EXACT_MATCH, List.of());
    }

    /** Whether the held-out values are errors (lower is better) rather than fractions correct. */
    public boolean measuresError() {
        return metric.equals(SQUARED_ERROR);
    }

    /** One held-out value as people read it: "97.50%" for a fraction, "0.0123" for an error. */
    public String format(double value) {
        return measuresError() ? f("%.4g", value) : f("%.2f%%", 100 * value);
    }

    /** Writes organism.json, the PNG charts and README.md into {@code dir}. */
    void write(Path dir) {
        Gpt2Export.writeText(dir.resolve(JSON_FILE), Gpt2Export.pretty(JSON.valueToTree(this)));
        TrainingCurveChart.write(dir.resolve(CURVE_FILE), task + ": training curve", curve, measuresError());
        if (!contextCurves.isEmpty()) {
            IclCurveChart.write(dir.resolve(CONTEXT_FILE), task + ": held-out error by number of in-context examples",
                    contextCurves);
        }
        Gpt2Export.writeText(dir.resolve("README.md"), measuresError() ? IclCard.markdown(this, dir.getFileName().toString())
                : markdown(dir.getFileName().toString()));
    }

    /** The card in {@code dir}. */
    public static OrganismCard read(Path dir) {
        Path file = dir.resolve(JSON_FILE);
        try {
            return JSON.readValue(Files.readString(file), OrganismCard.class);
        } catch (NoSuchFileException e) {
            throw new MesascopeException("no " + JSON_FILE + " in " + dir + ": not a trained organism");
        } catch (IOException e) {
            throw new MesascopeException("cannot read " + file + ": " + e.getMessage().strip().replaceAll("\\s+", " "), e);
        }
    }

    /** Every folder directly under {@code models} that holds an organism.json, by folder name. */
    public static List<Path> folders(Path models) {
        if (!Files.isDirectory(models)) return List.of();
        try (Stream<Path> entries = Files.list(models)) {
            return entries.filter(d -> Files.isRegularFile(d.resolve(JSON_FILE))).sorted().toList();
        } catch (IOException e) {
            throw new MesascopeException("cannot list " + models + ": " + e.getClass().getSimpleName(), e);
        }
    }

    /** The model card: what the model is, how it was trained, what it scores on held-out data, how to use it. */
    String markdown(String folder) {
        TrainingConfig t = training;
        List<String> md = new ArrayList<>();
        md.add("# " + folder + " — a Mesascope model organism");
        md.add("");
        md.add(description);
        md.add("");
        md.add("| | |");
        md.add("| --- | --- |");
        md.add("| task | `" + task + "` |");
        md.add(f("| model | GPT-2 (pre-LayerNorm, learned positions, gelu_new, unembedding tied to the embedding): %d layers,"
                        + " d_model %d, %d heads, MLP %d, context %d, vocabulary %d; %,d parameters, F32 |",
                shape.layers(), shape.dModel(), shape.heads(), shape.dMlp(), shape.positions(), shape.vocab(), parameters));
        md.add(f("| training | %,d steps × %d examples drawn fresh from the generator; cross-entropy on the target tokens"
                        + " only; TorchAdamW (β₁ 0.9, β₂ 0.99, weight decay %s on matrices), peak learning rate %s after %d"
                        + " warm-up steps, cosine decay to a tenth of it |",
                t.steps(), t.batchSize(), t.weightDecay(), t.learningRate(), t.warmupSteps()));
        md.add("| seed | " + t.seed() + " (initial weights, training stream, held-out stream) |");
        md.add("| command | `" + command + "` |");
        md.add(f("| time | %.0f s training on %s, %d libtorch thread%s; %.0f s held-out evaluation |", trainSeconds,
                machine, t.threads(), t.threads() == 1 ? "" : "s", evalSeconds));
        md.add("");
        md.add("## Held-out results");
        md.add("");
        md.add(f("%,d examples per measurement, drawn from the task's generator with a stream independent of the"
                + " training stream (fresh draws from the same distribution, not checked against the training examples),"
                + " completed by greedy decoding in Mesascope's CPU engine reading this folder.", heldOutExamples));
        md.add("");
        md.add("| measurement | value |");
        md.add("| --- | --- |");
        heldOut.forEach((name, value) -> md.add("| " + name + " | " + format(value) + " |"));
        md.add("");
        md.add("## Training curve");
        md.add("");
        md.add("![training loss and held-out accuracy by step](" + CURVE_FILE + ")");
        md.add("");
        md.add(f("Loss: the mean mini-batch loss over each %d steps. Accuracy: exact match on %d held-out examples,"
                + " computed by the trainer as \"every target token is the argmax given the true prefix\", which is"
                + " what greedy decoding reproducing the target means.", t.evalEvery(), OrganismTrainer.CURVE_EXAMPLES));
        md.add("");
        md.add("## Samples");
        md.add("");
        md.add("Held-out prompts and the model's greedy completions (words are tokens):");
        md.add("");
        md.add("```");
        md.addAll(samples);
        md.add("```");
        md.add("");
        md.add("## Files and use");
        md.add("");
        md.add("`config.json`, `model.safetensors`, `tokenizer.json` and `tokenizer_config.json` are an ordinary Hugging"
                + " Face GPT-2 checkpoint; the tokenizer is word-level (one token per space-separated word).");
        md.add("`" + JSON_FILE + "` holds the numbers on this page and the whole curve.");
        md.add("");
        md.add("```");
        String prompt = samples.isEmpty() ? "" : samples.getFirst().substring(0, samples.getFirst().indexOf(" → "));
        int room = shape.positions() - prompt.split(" ").length;  // generation may not run past the context
        md.add("./mesascope generate --model models/" + folder + " --prompt \"" + prompt + "\" --max-new " + room);
        md.add("./mesascope lens --model models/" + folder + " --prompt \"" + prompt + "\"");
        md.add("```");
        md.add("");
        md.add("With Hugging Face transformers (the format is theirs; Mesascope's tests read it with Mesascope's loader"
                + " and the HF tokenizers library): `GPT2LMHeadModel.from_pretrained(\"models/" + folder + "\")` and"
                + " `AutoTokenizer.from_pretrained(\"models/" + folder + "\")`.");
        return String.join("\n", md) + "\n";
    }

    /** The CPU model and core count, for the card's timing. */
    static String thisMachine() {
        String cpu = System.getProperty("os.arch");
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            cpu = lines.filter(l -> l.startsWith("model name")).findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse(cpu);
        } catch (IOException | RuntimeException e) {
            // not Linux: the architecture has to do
        }
        return cpu + " (" + Runtime.getRuntime().availableProcessors() + " cores)";
    }

    static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }
}
