package org.mesascope.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.mesascope.core.MesascopeException;

class HfTokenizerTest {
    /** Texts whose bytes a tokenizer must give back unchanged. */
    static final List<String> AWKWARD_TEXTS = List.of(
            "Hello world",
            "héllo café naïve",
            "🙂👍🏽",
            "日本語の文章",
            "a  b   c\t\td",
            "line one\nline two\r\n\n  indented",
            " leading and trailing ",
            "");

    // From /work/shared/models/stories260k/README.md: greedy generation after the prompt.
    private static final int[] STORIES_PROMPT = {1, 403, 407, 261, 378};
    private static final int[] STORIES_GREEDY = {432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401,
        396, 267, 337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394, 261, 370,
        432, 352, 266, 268, 388, 426};
    private static final String STORIES_TEXT = "Once upon a time, there was a little girl named Lily. She loved to "
            + "play outside in the park. One day, she saw a big, red ball.";

    private static Tokenizer gpt2() {
        return Tokenizers.load(SharedFixtures.require("tokenizers/gpt2"));
    }

    private static HfTokenizer stories() {
        return (HfTokenizer) Tokenizers.load(SharedFixtures.require("models/stories260k"));
    }

    @Test
    void gpt2EncodesLikeHf() {
        try (Tokenizer tok = gpt2()) {
            assertArrayEquals(new int[] {15496, 995}, tok.encode("Hello world"));
            assertArrayEquals(new int[] {15496, 11, 616, 3290, 318, 13779}, tok.encode("Hello, my dog is cute"));
            assertArrayEquals(new int[] {50256}, tok.encode("<|endoftext|>"));
            assertEquals(50257, tok.vocabSize());
            assertEquals("Hello", tok.tokenText(15496));
            assertEquals(" world", tok.tokenText(995));
        }
    }

    @Test
    void gpt2RoundTripsExactly() {
        try (Tokenizer tok = gpt2()) {
            for (String text : AWKWARD_TEXTS) {
                assertEquals(text, tok.decode(tok.encode(text)), () -> "round trip of " + text);
            }
        }
    }

    @Test
    void storiesPrependsBos() {
        try (Tokenizer tok = stories()) {
            assertArrayEquals(STORIES_PROMPT, tok.encode("Once upon a time"));
            assertEquals(512, tok.vocabSize());
        }
    }

    /** As transformers' decode(ids, skip_special_tokens=False): BOS stays as "<s>", then the text's space. */
    @Test
    void storiesDecodeKeepsBosText() {
        try (HfTokenizer tok = stories()) {
            int[] all = concat(STORIES_PROMPT, STORIES_GREEDY);
            assertEquals("<s> " + STORIES_TEXT, tok.decode(all));
            assertEquals(STORIES_TEXT, tok.decode(Arrays.copyOfRange(all, 1, all.length)));
            for (String text : AWKWARD_TEXTS) {
                // The normalizer prepends "▁" only to non-empty text, so "" is BOS alone.
                String expected = text.isEmpty() ? "<s>" : "<s> " + text;
                assertEquals(expected, tok.decode(tok.encode(text)), () -> "round trip of " + text);
            }
        }
    }

    @Test
    void continuationKeepsTheSpaceTheDecoderStripsAtTheStart() {
        try (HfTokenizer tok = stories()) {
            assertEquals("there", tok.tokenText(383));
            assertEquals(" there", tok.decodeContinuation(new int[] {403, 407, 261, 378, 432}, new int[] {383}));
            assertEquals(STORIES_TEXT.substring("Once upon a time".length()),
                    tok.decodeContinuation(STORIES_PROMPT, STORIES_GREEDY));
        }
    }

    /** "日" is three byte-fallback tokens; split after the first, the whole character belongs to the continuation. */
    @Test
    void continuationTakesACharacterSplitAcrossTheBoundary() {
        try (HfTokenizer tok = stories()) {
            int[] ids = tok.encode("日本");
            int split = IntStream.range(0, ids.length).filter(i -> tok.tokenText(ids[i]).equals("\uFFFD"))
                    .findFirst().orElseThrow() + 1;
            assertEquals("日本", tok.decodeContinuation(Arrays.copyOf(ids, split),
                    Arrays.copyOfRange(ids, split, ids.length)));
        }
    }

    @Test
    void idsOutsideTheVocabularyAreRejected() {
        try (Tokenizer tok = stories()) {
            MesascopeException e = assertThrows(MesascopeException.class, () -> tok.decode(new int[] {403, 512}));
            assertEquals("token id 512 is outside the vocabulary (0..511)", e.getMessage());
            assertThrows(MesascopeException.class, () -> tok.tokenText(-1));
        }
    }

    private static int[] concat(int[] a, int[] b) {
        int[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
