package org.mesascope.core.model;

import org.mesascope.core.io.Weights;

import java.util.List;

/**
 * One family of checkpoints (GPT-2, GPT-NeoX, Llama, GPT-J): how its config.json reads, where its weights live, and
 * what its block does. The shared forward pass, the GPU model, the tuned lens's head, the libtorch models and the
 * checkpoint writers all read a family through this; none of them knows a family's tensor names. Adding a family is
 * one subclass plus its line in {@link #all()} (docs/architecture.md walks through it).
 */
public abstract class Architecture {
    private final String displayName;
    private final String bodyPrefix;
    private final List<String> modelTypes;

    /**
     * @param displayName human-readable: "GPT-2"
     * @param bodyPrefix  the prefix under which Hugging Face's *ForCausalLM saves the body ("transformer.",
     *                    "gpt_neox.", "model."); the bare model class saves the same names without it, and the
     *                    unembedding always sits outside
     * @param modelTypes  the config.json model_type values this family reads
     */
    protected Architecture(String displayName, String bodyPrefix, String... modelTypes) {
        this.displayName = displayName;
        this.bodyPrefix = bodyPrefix;
        this.modelTypes = List.of(modelTypes);
    }

    /** Every family Mesascope runs. */
    public static List<Architecture> all() {
        return List.of(Gpt2.ARCH, GptNeox.ARCH, Llama.ARCH, GptJ.ARCH);
    }

    public final String displayName() {
        return displayName;
    }

    public final String bodyPrefix() {
        return bodyPrefix;
    }

    public final List<String> modelTypes() {
        return modelTypes;
    }

    /**
     * Reads config.json into the common terms (one-line errors that name the field); {@code modelType} is one of
     * {@link #modelTypes()}.
     */
    public abstract ModelConfig config(ModelConfig.Fields fields, String modelType);

    /** Every tensor of a checkpoint of {@code c}, named with body prefix {@code prefix} ("" or {@link #bodyPrefix()}). */
    public abstract WeightMap weightMap(ModelConfig c, String prefix);

    /** The weight map with the prefix this checkpoint uses. */
    public final WeightMap weightMap(ModelConfig c, Weights w) {
        boolean prefixed = w.names().stream().anyMatch(n -> n.startsWith(bodyPrefix));
        return weightMap(c, prefixed ? bodyPrefix : "");
    }

    /** The family that reads config.json's {@code model_type}, or null. */
    public static Architecture forModelType(String modelType) {
        for (Architecture a : all()) if (a.modelTypes.contains(modelType)) return a;
        return null;
    }

    /** Every model_type any family reads, for messages. */
    public static List<String> supportedModelTypes() {
        return all().stream().flatMap(a -> a.modelTypes.stream()).toList();
    }

    @Override
    public String toString() {
        return displayName;
    }
}
