package org.mesascope.core.tokenizer;

/** Text to token ids and back, as the model's Hugging Face tokenizer does it. */
public interface Tokenizer extends AutoCloseable {
    /** Token ids for {@code text}, with the special tokens the tokenizer's post-processor adds (e.g. Llama's BOS). */
    int[] encode(String text);

    /** Text for ids, as HF's {@code decode(ids, skip_special_tokens=False)}. */
    String decode(int[] ids);

    /** One token's text as shown in reports (decoded alone; byte fragments may show as U+FFFD). */
    String tokenText(int id);

    int vocabSize();

    @Override
    default void close() {
    }
}
