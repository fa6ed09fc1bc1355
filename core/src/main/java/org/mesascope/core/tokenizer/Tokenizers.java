package org.mesascope.core.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.mesascope.core.MesascopeException;

/** Finds and loads the Hugging Face tokenizer of a model folder. */
public final class Tokenizers {
    static {
        // DJL calls home (telemetry) when a tokenizer is created unless one of these is set, and must never
        // download anything; set them before the first DJL class initialises. A value the user gave wins.
        setIfAbsent("ai.djl.offline", "true");
        setIfAbsent("OPT_OUT_TRACKING", "true");
    }

    /** GPT-2's slow tokenizer makes this its unk, bos and eos token, so transformers registers it as special. */
    private static final String GPT2_SPECIAL = "<|endoftext|>";

    private static final ObjectMapper JSON = new ObjectMapper();

    private Tokenizers() {
    }

    /**
     * The tokenizer in {@code modelDir}: its tokenizer.json, or else its GPT-2 style vocab.json + merges.txt
     * (byte-level BPE); null when the folder has neither.
     *
     * @throws MesascopeException when a file is unreadable or malformed, or only one of vocab.json and
     *     merges.txt is there
     */
    public static Tokenizer load(Path modelDir) {
        Path tokenizerJson = modelDir.resolve("tokenizer.json");
        if (Files.exists(tokenizerJson)) {
            byte[] bytes = read(tokenizerJson);
            JsonNode tree = parse(bytes, tokenizerJson);
            return HfTokenizer.fromJson(bytes, vocabSize(tree), tokenizerJson.toString());
        }
        Path vocab = modelDir.resolve("vocab.json");
        Path merges = modelDir.resolve("merges.txt");
        if (Files.exists(vocab) != Files.exists(merges)) {
            Path missing = Files.exists(vocab) ? merges : vocab;
            throw new MesascopeException("cannot load tokenizer: " + missing + " is missing (vocab.json and "
                    + "merges.txt come as a pair; or provide tokenizer.json)");
        }
        return Files.exists(vocab) ? fromVocabAndMerges(vocab, merges) : null;
    }

    /**
     * Builds the tokenizer.json that transformers' GPT2TokenizerFast makes from these two files: byte-level BPE
     * with GPT-2's pre-tokenizer, post-processor and decoder settings, and {@value #GPT2_SPECIAL} as a special
     * token when the vocabulary has it, so both ways of loading GPT-2 give the same ids.
     */
    private static Tokenizer fromVocabAndMerges(Path vocabFile, Path mergesFile) {
        JsonNode vocab = parse(read(vocabFile), vocabFile);
        ArrayNode merges = JSON.createArrayNode();
        List<String> lines = new String(read(mergesFile), StandardCharsets.UTF_8).lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank() || line.startsWith("#version")) {
                continue;
            }
            String[] pair = line.split(" ", -1);
            if (pair.length != 2) {
                throw new MesascopeException("cannot load tokenizer: " + mergesFile + " line " + (i + 1)
                        + " is not two tokens separated by one space");
            }
            // Checked here because the Rust parser would report a position in the generated JSON instead.
            for (String token : List.of(pair[0], pair[1], pair[0] + pair[1])) {
                if (!vocab.has(token)) {
                    throw new MesascopeException("cannot load tokenizer: " + mergesFile + " line " + (i + 1)
                            + " uses `" + token + "`, which is not in " + vocabFile.getFileName());
                }
            }
            merges.add(line);
        }

        ObjectNode root = byteLevelBpe(vocab, merges);

        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a Jackson tree always serialises", e);
        }
        return HfTokenizer.fromJson(bytes, vocabSize(root), vocabFile + " + " + mergesFile.getFileName());
    }

    /**
     * The tokenizer.json of a GPT-2-style byte-level BPE (what transformers' GPT2TokenizerFast saves) for a vocabulary
     * (token → id, tokens spelled in GPT-2's byte-to-unicode alphabet) and merges ("a b" strings, in rank order).
     * {@code <|endoftext|>}, when the vocabulary has it, is a special token.
     */
    public static ObjectNode byteLevelBpe(JsonNode vocab, ArrayNode merges) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        if (vocab.path(GPT2_SPECIAL).isInt()) {
            added.addObject()
                    .put("id", vocab.get(GPT2_SPECIAL).intValue())
                    .put("content", GPT2_SPECIAL)
                    .put("single_word", false)
                    .put("lstrip", false)
                    .put("rstrip", false)
                    .put("normalized", true)
                    .put("special", true);
        }
        root.putNull("normalizer");
        root.set("pre_tokenizer", byteLevel(false, true));
        root.set("post_processor", byteLevel(true, false));
        root.set("decoder", byteLevel(true, true));
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.put("continuing_subword_prefix", "");
        model.put("end_of_word_suffix", "");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.set("vocab", vocab);
        model.set("merges", merges);
        return root;
    }

    /** GPT-2's ByteLevel component; {@code use_regex} is GPT-2's split pattern (the library default, made explicit). */
    private static ObjectNode byteLevel(boolean addPrefixSpace, boolean trimOffsets) {
        return JSON.createObjectNode()
                .put("type", "ByteLevel")
                .put("add_prefix_space", addPrefixSpace)
                .put("trim_offsets", trimOffsets)
                .put("use_regex", true);
    }

    /**
     * Highest id plus one, over the model's vocabulary (a token → id object for BPE/WordPiece/WordLevel, a list
     * of [piece, score] for Unigram, where the id is the position) and the added tokens. DJL does not expose it.
     */
    private static int vocabSize(JsonNode tokenizerJson) {
        JsonNode vocab = tokenizerJson.path("model").path("vocab");
        int max = vocab.isArray() ? vocab.size() - 1 : -1;
        if (vocab.isObject()) {
            for (JsonNode id : vocab) {
                max = Math.max(max, id.asInt());
            }
        }
        for (JsonNode token : tokenizerJson.path("added_tokens")) {
            max = Math.max(max, token.path("id").asInt());
        }
        return max + 1;
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            // NIO exceptions often carry just the path as their message; the class name says what went wrong.
            String detail = e.getMessage() == null || e.getMessage().equals(file.toString())
                    ? ""
                    : ": " + e.getMessage();
            throw new MesascopeException("cannot read " + file + ": " + e.getClass().getSimpleName() + detail, e);
        }
    }

    /** Parses with Jackson first: its message gives line and column, and it tells a broken file from a wrong one. */
    private static JsonNode parse(byte[] bytes, Path file) {
        JsonNode tree;
        try {
            tree = JSON.readTree(bytes);
        } catch (IOException e) {
            String where = e instanceof JsonProcessingException jpe && jpe.getLocation() != null
                    ? " at line " + jpe.getLocation().getLineNr() + ", column " + jpe.getLocation().getColumnNr()
                    : "";
            String why = e instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() : e.getMessage();
            throw new MesascopeException("cannot read " + file + ": not valid JSON" + where + " (" + why + ")", e);
        }
        if (tree == null || !tree.isObject()) {
            throw new MesascopeException("cannot read " + file + ": expected a JSON object");
        }
        return tree;
    }

    private static void setIfAbsent(String property, String value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, value);
        }
    }
}
