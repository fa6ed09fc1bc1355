package org.mesascope.probes.organisms;

import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.Models;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;

/**
 * A model organism: a task, how a model is trained on it, and the paragraph its model card uses to describe the data
 * generator.
 */
public record Organism(Task task, TrainingConfig training, String description) {
    /** Held-out examples behind each measurement of a finished organism. */
    public static final int HELD_OUT_EXAMPLES = 1000;
    /** Held-out examples the model card shows with the model's completions. */
    static final int SAMPLES = 6;

    public String name() {
        return task.name();
    }

    /**
     * Trains a model, exports it to {@code dir}, evaluates the exported folder through Mesascope's own engine and
     * writes the model card beside it (README.md, organism.json, training-curve.png).
     *
     * @param command the command line that repeats this run, for the card
     */
    public OrganismCard build(TrainingConfig config, Path dir, String command, OrganismTrainer.Listener listener) {
        try (OrganismTrainer.Trained trained = OrganismTrainer.train(task, config, listener)) {
            trained.export(dir);
            long start = System.nanoTime();
            try (LoadedModel model = Models.load(name(), dir)) {
                Evaluation.Completer greedy = Evaluation.greedy(model.model());
                Map<String, Double> heldOut = Evaluation.measure(task, greedy, OrganismTrainer.heldOut(config.seed()),
                        HELD_OUT_EXAMPLES);
                List<String> samples = samples(greedy, OrganismTrainer.heldOut(config.seed()));
                OrganismCard card = new OrganismCard(name(), description, trained.shape(),
                        trained.shape().parameterCount(), config, command, trained.seconds(), OrganismCard.thisMachine(),
                        HELD_OUT_EXAMPLES, heldOut, (System.nanoTime() - start) / 1e9, samples, trained.curve());
                card.write(dir);
                return card;
            }
        }
    }

    /** "prompt → completion" for the first held-out examples, marked when the completion misses the target. */
    private List<String> samples(Evaluation.Completer model, RandomGenerator heldOut) {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < SAMPLES; i++) {
            Task.Example e = task.sample(heldOut);
            int[] completion = model.complete(e.prompt(), e.target().length);
            lines.add(words(e.prompt()) + " → " + words(untilEnd(completion))
                    + (Arrays.equals(completion, e.target()) ? "" : "   (target: " + words(e.target()) + ")"));
        }
        return lines;
    }

    /** The completion up to and including {@value Task#END}: what a reader would take as the model's answer. */
    private int[] untilEnd(int[] completion) {
        int end = task.vocabulary().indexOf(Task.END);
        for (int i = 0; i < completion.length; i++) if (completion[i] == end) return Arrays.copyOf(completion, i + 1);
        return completion;
    }

    private String words(int[] ids) {
        return Arrays.stream(ids).mapToObj(task.vocabulary()::get).collect(Collectors.joining(" "));
    }
}
