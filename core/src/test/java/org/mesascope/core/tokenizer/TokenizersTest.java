package org.mesascope.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mesascope.core.MesascopeException;

class TokenizersTest {
    @TempDir
    Path dir;

    /** GPT-2's vocab.json + merges.txt alone, without its tokenizer.json. */
    private Tokenizer gpt2FromVocabAndMerges() throws IOException {
        Path gpt2 = SharedFixtures.require("tokenizers/gpt2");
        Files.copy(gpt2.resolve("vocab.json"), dir.resolve("vocab.json"));
        Files.copy(gpt2.resolve("merges.txt"), dir.resolve("merges.txt"));
        return Tokenizers.load(dir);
    }

    @Test
    void vocabAndMergesEncodeLikeHf() throws IOException {
        try (Tokenizer tok = gpt2FromVocabAndMerges()) {
            assertArrayEquals(new int[] {15496, 995}, tok.encode("Hello world"));
            assertArrayEquals(new int[] {15496, 11, 616, 3290, 318, 13779}, tok.encode("Hello, my dog is cute"));
            assertEquals(50257, tok.vocabSize());
            assertEquals("Hello", tok.tokenText(15496));
            for (String text : HfTokenizerTest.AWKWARD_TEXTS) {
                assertEquals(text, tok.decode(tok.encode(text)), () -> "round trip of " + text);
            }
        }
    }

    @Test
    void vocabAndMergesMatchTokenizerJson() throws IOException {
        List<String> texts = new ArrayList<>(HfTokenizerTest.AWKWARD_TEXTS);
        texts.addAll(List.of("Hello, my dog is cute", "The quick brown fox's 3,141 jumps!?", "x<|endoftext|>y",
                "  def f(x):\n\treturn x ** 2  # ok"));
        try (Tokenizer fromJson = Tokenizers.load(SharedFixtures.require("tokenizers/gpt2"));
                Tokenizer fromPair = gpt2FromVocabAndMerges()) {
            for (String text : texts) {
                assertArrayEquals(fromJson.encode(text), fromPair.encode(text), () -> "ids of " + text);
            }
        }
    }

    @Test
    void folderWithoutTokenizerFilesGivesNull() throws IOException {
        Files.writeString(dir.resolve("config.json"), "{}");
        assertNull(Tokenizers.load(dir));
    }

    @Test
    void brokenTokenizerJsonNamesTheFile() throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"vocab\": ");
        assertOneLineNaming("tokenizer.json", assertThrows(MesascopeException.class, () -> Tokenizers.load(dir)));
    }

    @Test
    void jsonThatIsNoTokenizerNamesTheFile() throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"type\": \"Nonsense\"}}");
        assertOneLineNaming("tokenizer.json", assertThrows(MesascopeException.class, () -> Tokenizers.load(dir)));
    }

    @Test
    void vocabWithoutMergesNamesTheMissingFile() throws IOException {
        Files.writeString(dir.resolve("vocab.json"), "{\"a\": 0}");
        assertOneLineNaming("merges.txt", assertThrows(MesascopeException.class, () -> Tokenizers.load(dir)));
    }

    @Test
    void mergeOfUnknownTokenNamesTheFiles() throws IOException {
        Files.writeString(dir.resolve("vocab.json"), "{\"a\": 0, \"b\": 1, \"ab\": 2}");
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\na b\nab c\n");
        assertOneLineNaming("merges.txt", assertThrows(MesascopeException.class, () -> Tokenizers.load(dir)));
    }

    private static void assertOneLineNaming(String file, MesascopeException e) {
        assertTrue(e.getMessage().contains(file), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
}
