package org.mesascope.core.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import org.mesascope.core.MesascopeException;

/**
 * A Hugging Face fast tokenizer (the Rust {@code tokenizers} library through DJL), built from the bytes of a
 * tokenizer.json; {@link Tokenizers#load} finds and prepares those bytes.
 *
 * <p>Encoding adds what the file's post-processor adds (Llama-style files prepend BOS, GPT-2's adds nothing)
 * and never truncates or pads. Decoding is HF's {@code decode(ids, skip_special_tokens=False)}: special tokens
 * are kept as their text, so a Llama-style {@code [1, 403, ...]} decodes to {@code "<s> Once upon ..."}, exactly
 * as transformers prints it. The Rust library does no {@code clean_up_tokenization_spaces} (that is a Python
 * transformers step), so for byte-level BPE {@code decode(encode(s))} is {@code s} byte for byte.
 */
public final class HfTokenizer implements Tokenizer {
    /**
     * The settings {@code HuggingFaceTokenizer.Builder}'s {@code optAddSpecialTokens(true)},
     * {@code optTruncation(false)} and {@code optPadding(false)} store. The builder only reads a file path; the
     * stream factory that takes these options lets the vocab.json + merges.txt case skip a temporary file.
     * Truncation must be off explicitly: a bare tokenizer.json otherwise gets DJL's 512-token default.
     */
    private static final Map<String, String> OPTIONS =
            Map.of("addSpecialTokens", "true", "truncation", "false", "padding", "false");

    private final HuggingFaceTokenizer hf;
    private final int vocabSize;

    private HfTokenizer(HuggingFaceTokenizer hf, int vocabSize) {
        this.hf = hf;
        this.vocabSize = vocabSize;
    }

    /**
     * @param tokenizerJson the content of a tokenizer.json
     * @param vocabSize highest id the file defines, plus one
     * @param source what the user knows the tokenizer as (a file name), for error messages
     */
    static HfTokenizer fromJson(byte[] tokenizerJson, int vocabSize, String source) {
        try {
            return new HfTokenizer(
                    HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(tokenizerJson), OPTIONS), vocabSize);
        } catch (IOException | RuntimeException e) {
            // The Rust parser's messages are one line, e.g. "Token `b` out of vocabulary at line 1 column 73".
            throw new MesascopeException("cannot load tokenizer " + source + ": " + e.getMessage(), e);
        }
    }

    @Override
    public int[] encode(String text) {
        return Arrays.stream(hf.encode(text).getIds()).mapToInt(Math::toIntExact).toArray();
    }

    @Override
    public String decode(int[] ids) {
        long[] wide = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            wide[i] = checkId(ids[i]);
        }
        return hf.decode(wide, false);
    }

    /**
     * {@code decode([id])}. For sentencepiece-style files the decoder's leading-space strip applies, so
     * {@code ▁there} shows as {@code "there"}; a lone byte token shows as U+FFFD.
     */
    @Override
    public String tokenText(int id) {
        return hf.decode(new long[] {checkId(id)}, false);
    }

    /** Ids run from 0 to {@code vocabSize() - 1}: the model's vocabulary plus added tokens. */
    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public void close() {
        hf.close();
    }

    /** The Rust decoder silently drops unknown ids; ids typed by the user (--tokens) deserve an error instead. */
    private int checkId(int id) {
        if (id < 0 || id >= vocabSize) {
            throw new MesascopeException(
                    "token id " + id + " is outside the vocabulary (0.." + (vocabSize - 1) + ")");
        }
        return id;
    }
}
