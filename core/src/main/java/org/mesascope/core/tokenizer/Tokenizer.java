package org.mesascope.core.tokenizer;

import java.util.Arrays;

/** Text to token ids and back, as the model's Hugging Face tokenizer does it. */
public interface Tokenizer extends AutoCloseable {
    /** Token ids for {@code text}, with the special tokens the tokenizer's post-processor adds (e.g. Llama's BOS). */
    int[] encode(String text);

    /** Text for ids, as HF's {@code decode(ids, skip_special_tokens=False)}. */
    String decode(int[] ids);

    /**
     * The text {@code continuation} adds after {@code prompt}, for printing generated tokens: the part of
     * {@code decode(prompt + continuation)} after {@code decode(prompt)}. Decoding the continuation alone would be
     * wrong for sentencepiece-style files, whose decoder strips one leading space from the whole text, so
     * {@code decode([383])} is {@code "there"} where the continuation reads {@code " there"}. A character whose
     * bytes straddle the boundary (byte fallback or byte-level BPE) decodes to U+FFFD in the prompt alone and counts
     * as added by the continuation.
     */
    default String decodeContinuation(int[] prompt, int[] continuation) {
        String head = decode(prompt);
        int[] all = Arrays.copyOf(prompt, prompt.length + continuation.length);
        System.arraycopy(continuation, 0, all, prompt.length, continuation.length);
        String full = decode(all);
        int common = 0;
        while (common < head.length() && common < full.length() && head.charAt(common) == full.charAt(common)) {
            common++;
        }
        return full.substring(common);
    }

    /** One token's text as shown in reports (decoded alone; byte fragments may show as U+FFFD). */
    String tokenText(int id);

    int vocabSize();

    @Override
    default void close() {
    }
}
