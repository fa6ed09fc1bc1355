package org.mesascope.core.model;

import org.mesascope.core.io.Weights;

import java.util.List;

/**
 * One family of checkpoints (GPT-2, GPT-NeoX, Llama, GPT-J): how its config.json reads, where its weights live, and
 * what its block does. The shared forward pass, the GPU model, the tuned lens's head, the libtorch models and the
 * checkpoint writers all read a family through this; none of them knows a family's tensor names. Adding a family is
 * one implementation plus its line in {@link #all()} (docs/architecture.md walks through it).
 */
public interface Architecture {
    /**
     * Every family Mesascope runs. A method, not a constant: a constant here would be initialized while the first
     * family's own constant is (interfaces with default methods initialize with their implementations), and see null.
     */
    static List<Architecture> all() {
        return List.of(Gpt2.ARCH, GptNeox.ARCH, Llama.ARCH, GptJ.ARCH);
    }

    /** Human-readable: "GPT-2". */
    String displayName();

    /** The config.json model_type values this family reads ("llama", "mistral", "qwen2"). */
    List<String> modelTypes();

    /**
     * Reads config.json into the common terms (one-line errors that name the field); {@code modelType} is one of
     * {@link #modelTypes()}.
     */
    ModelConfig config(ModelConfig.Fields fields, String modelType);

    /**
     * The prefix under which Hugging Face's *ForCausalLM saves the body ("transformer.", "gpt_neox.", "model."); the
     * bare model class saves the same names without it. The unembedding always sits outside.
     */
    String bodyPrefix();

    /** Every tensor of a checkpoint of {@code c}, named with body prefix {@code prefix} ("" or {@link #bodyPrefix()}). */
    WeightMap weightMap(ModelConfig c, String prefix);

    /** The weight map with the prefix this checkpoint uses. */
    default WeightMap weightMap(ModelConfig c, Weights w) {
        String p = bodyPrefix();
        boolean prefixed = w.names().stream().anyMatch(n -> n.startsWith(p));
        return weightMap(c, prefixed ? p : "");
    }

    /** The family that reads config.json's {@code model_type}, or null. */
    static Architecture forModelType(String modelType) {
        for (Architecture a : all()) if (a.modelTypes().contains(modelType)) return a;
        return null;
    }

    /** Every model_type any family reads, for messages. */
    static List<String> supportedModelTypes() {
        return all().stream().flatMap(a -> a.modelTypes().stream()).toList();
    }
}
