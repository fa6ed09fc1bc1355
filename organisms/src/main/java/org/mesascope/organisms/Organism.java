package org.mesascope.organisms;

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
 * A model organism: a task (token {@link Task}, or {@link IclRegressionTask} for the vector organisms), how a model is
 * trained on it, and the paragraph its model card uses to describe the data generator.
 */
public record Organism(OrganismTask task, TrainingConfig training, String description) {
    /** Held-out examples behind each measurement of a finished organism. */
    public static final int HELD_OUT_EXAMPLES = 1000;
    /** Held-out examples the model card shows with the model's completions. */
    static final int SAMPLES = 6;

    public Organism {
        if (!(task instanceof Task) && !(task instanceof IclRegressionTask)) {
            throw new IllegalArgumentException("no trainer for " + task.getClass().getSimpleName());
        }
    }

    public String name() {
        return task.name();
    }

    private Task tokenTask() {
        return (Task) task;
    }

    /** Whether the model reads vectors and its held-out measures are errors (in-context regression). */
    public boolean readsVectors() {
        return task instanceof IclRegressionTask;
    }

    /** The context the trained model has: a token task's longest example, or the regression task's sequence length. */
    public int contextLength() {
        return task instanceof Task t ? t.contextLength() : ((IclRegressionTask) task).length();
    }

    /** The shape {@code config} gives this organism's model. */
    public Gpt2Shape shape(TrainingConfig config) {
        return switch (task) {
            case Task t -> new Gpt2Shape(config.layers(), config.dModel(), config.heads(), t.contextLength(),
                    t.vocabulary().size());
            case IclRegressionTask r -> Gpt2Shape.vectors(config.layers(), config.dModel(), config.heads(), r.length(),
                    r.width(), 1);
            default -> throw new IllegalStateException("unreachable: checked by the constructor");
        };
    }

    /**
     * Trains a model, exports it to {@code dir}, evaluates the exported folder through Mesascope's own engine and
     * writes the model card beside it (README.md, organism.json, training-curve.png).
     *
     * @param command the command line that repeats this run, for the card
     */
    public OrganismCard build(TrainingConfig config, Path dir, String command, OrganismTrainer.Listener listener) {
        if (task instanceof IclRegressionTask regression) return buildVectors(regression, config, dir, command, listener);
        Task task = tokenTask();
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

    /**
     * The vector organism's build: train, export, then measure the exported folder through Mesascope's engine beside
     * least squares and gradient descent with 1 and L steps (L the number of layers: von Oswald et al.'s construction
     * runs one step per layer).
     */
    private OrganismCard buildVectors(IclRegressionTask regression, TrainingConfig config, Path dir, String command,
                                      OrganismTrainer.Listener listener) {
        try (OrganismTrainer.Trained trained = OrganismTrainer.train(regression, config, listener)) {
            trained.export(dir);
            long start = System.nanoTime();
            try (LoadedModel model = Models.load(name(), dir)) {
                IclEvaluation.Results r = IclEvaluation.measure(regression, model.model(),
                        OrganismTrainer.heldOut(config.seed()), HELD_OUT_EXAMPLES, 1, config.layers());
                OrganismCard card = new OrganismCard(name(), description, trained.shape(),
                        trained.shape().parameterCount(), config, command, trained.seconds(), OrganismCard.thisMachine(),
                        HELD_OUT_EXAMPLES, r.heldOut(), (System.nanoTime() - start) / 1e9, r.samples(), trained.curve(),
                        OrganismCard.SQUARED_ERROR, r.curves());
                card.write(dir);
                return card;
            }
        }
    }

    /** "prompt → completion" for the first held-out examples, marked when the completion misses the target. */
    private List<String> samples(Evaluation.Completer model, RandomGenerator heldOut) {
        Task task = tokenTask();
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
        Task task = tokenTask();
        int end = task.vocabulary().indexOf(Task.END);
        for (int i = 0; i < completion.length; i++) if (completion[i] == end) return Arrays.copyOf(completion, i + 1);
        return completion;
    }

    private String words(int[] ids) {
        Task task = tokenTask();
        return Arrays.stream(ids).mapToObj(task.vocabulary()::get).collect(Collectors.joining(" "));
    }
}
