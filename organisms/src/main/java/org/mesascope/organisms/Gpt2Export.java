package org.mesascope.organisms;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.mesascope.core.MesascopeException;
import org.mesascope.core.io.AtomicFile;
import org.mesascope.core.io.SafetensorsWriter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Hugging Face GPT-2 checkpoint folders: what transformers' {@code GPT2LMHeadModel.save_pretrained} and a
 * {@code tokenizers} word-level tokenizer save, so that Mesascope, transformers and tokenizers all read them.
 *
 * <ul>
 *   <li>{@code config.json}: model_type gpt2, {@code n_positions} the task's context, {@code vocab_size} its vocabulary;
 *   <li>{@code model.safetensors}: F32, GPT2LMHeadModel's names ({@code transformer.h.0.attn.c_attn.weight}, ...),
 *       Conv1D weights [in, out], {@code lm_head} tied to {@code wte} and so not stored;
 *   <li>{@code tokenizer.json}: a WordLevel model over the task's words, split on white space; with no decoder, HF's
 *       decode joins the words with single spaces, so prompts read as the space-separated words they are written as;
 *   <li>{@code tokenizer_config.json}: lets transformers' {@code AutoTokenizer} load it as a fast tokenizer.
 * </ul>
 *
 * {@value Task#UNK} in the vocabulary becomes the unknown-word token (without it, an unknown word fails to encode), and
 * {@value Task#END} the end-of-sequence token, so generation stops there.
 * <p>
 * A vector-input model ({@link #writeVectors}) is the vector GPT-2 of docs/formats.md: config.json with the
 * {@code "mesascope": {"input": "vectors", "input_dim": D, "output_dim": K}} object and no vocabulary, the read-in and
 * read-out tensors in place of {@code wte}, and no tokenizer.
 */
public final class Gpt2Export {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private Gpt2Export() {
    }

    /** Writes the folder (created if missing); config.json comes last, so a folder with one is complete. */
    static void write(Path dir, TrainableGpt2 model, List<String> vocabulary) {
        String tokenizer = pretty(wordLevelTokenizer(vocabulary));  // checks the words before anything is written
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw cannotWrite(dir, e);
        }
        writeWeights(dir, model);
        OptionalInt end = indexOf(vocabulary, Task.END);
        writeText(dir.resolve("tokenizer.json"), tokenizer);
        writeText(dir.resolve("tokenizer_config.json"), pretty(tokenizerConfig(vocabulary, model.shape().positions())));
        writeText(dir.resolve("config.json"), pretty(config(model.shape(), OptionalInt.empty(), end)));
    }

    /**
     * Writes a vector-input model's folder (created if missing): model.safetensors, then config.json, so a folder
     * with a config is complete. A tokenizer.json left there by an earlier export would contradict the config and is
     * removed.
     */
    static void writeVectors(Path dir, TrainableGpt2 model) {
        Gpt2Shape s = model.shape();
        if (!s.readsVectors()) throw new IllegalArgumentException("not a vector-input model: " + s);
        try {
            Files.createDirectories(dir);
            Files.deleteIfExists(dir.resolve("tokenizer.json"));
            Files.deleteIfExists(dir.resolve("tokenizer_config.json"));
        } catch (IOException e) {
            throw cannotWrite(dir, e);
        }
        writeWeights(dir, model);
        writeText(dir.resolve("config.json"), pretty(vectorConfig(s)));
    }

    /**
     * The config of a vector-input GPT-2: GPT-2's fields for the trunk, the {@code mesascope} object for the read-in
     * and read-out, no {@code vocab_size} (docs/formats.md). {@code architectures} says GPT2Model, the part of it
     * that transformers can load.
     */
    public static ObjectNode vectorConfig(Gpt2Shape s) {
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add("GPT2Model");
        c.put("model_type", "gpt2");
        c.put("n_positions", s.positions());
        c.put("n_embd", s.dModel());
        c.put("n_layer", s.layers());
        c.put("n_head", s.heads());
        c.put("activation_function", "gelu_new");
        c.put("layer_norm_epsilon", 1e-5);
        c.put("torch_dtype", "float32");
        c.putObject("mesascope").put("input", "vectors").put("input_dim", s.inputDim()).put("output_dim", s.vocab());
        return c;
    }

    /** Every parameter under its name, F32, in the model's order. */
    private static void writeWeights(Path dir, TrainableGpt2 model) {
        try (SafetensorsWriter w = SafetensorsWriter.create(dir.resolve("model.safetensors"))) {
            for (Map.Entry<String, NDArray> p : model.parameters().entrySet()) {
                long[] dims = p.getValue().getShape().getShape();
                int[] shape = new int[dims.length];
                for (int i = 0; i < dims.length; i++) shape[i] = Math.toIntExact(dims[i]);
                w.add(p.getKey(), p.getValue().toFloatArray(), shape);
            }
            w.metadata("format", "pt");
            w.commit();
        }
    }

    /** What transformers' GPT2Config.save_pretrained writes for this shape (dropout left out: these are for inference). */
    public static ObjectNode config(Gpt2Shape s, OptionalInt bos, OptionalInt eos) {
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add("GPT2LMHeadModel");
        c.put("model_type", "gpt2");
        c.put("vocab_size", s.vocab());
        c.put("n_positions", s.positions());
        c.put("n_embd", s.dModel());
        c.put("n_layer", s.layers());
        c.put("n_head", s.heads());
        c.put("activation_function", "gelu_new");
        c.put("layer_norm_epsilon", 1e-5);
        c.put("tie_word_embeddings", true);
        bos.ifPresent(id -> c.put("bos_token_id", id));
        eos.ifPresent(id -> c.put("eos_token_id", id));
        c.put("torch_dtype", "float32");
        return c;
    }

    /** HF tokenizers' WordLevel model: word i of {@code vocabulary} is token i. */
    static ObjectNode wordLevelTokenizer(List<String> vocabulary) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        root.putArray("added_tokens");
        root.putNull("normalizer");
        root.putObject("pre_tokenizer").put("type", "WhitespaceSplit");
        root.putNull("post_processor");
        root.putNull("decoder");
        ObjectNode model = root.putObject("model");
        model.put("type", "WordLevel");
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < vocabulary.size(); i++) {
            String word = vocabulary.get(i);
            if (word.isEmpty() || word.codePoints().anyMatch(Character::isWhitespace) || vocab.has(word)) {
                throw new IllegalArgumentException("vocabulary word " + i + " \"" + word
                        + "\" is empty, has white space or repeats an earlier word");
            }
            vocab.put(word, i);
        }
        model.put("unk_token", Task.UNK);
        return root;
    }

    private static ObjectNode tokenizerConfig(List<String> vocabulary, int context) {
        ObjectNode c = JSON.createObjectNode();
        c.put("tokenizer_class", "PreTrainedTokenizerFast");
        c.put("model_max_length", context);
        c.put("clean_up_tokenization_spaces", false);
        if (vocabulary.contains(Task.UNK)) c.put("unk_token", Task.UNK);
        if (vocabulary.contains(Task.END)) c.put("eos_token", Task.END);
        return c;
    }

    /** Pretty JSON with "\n" line ends whatever the platform (Jackson's default indenter uses the system's). */
    public static String pretty(JsonNode node) {
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter().withObjectIndenter(new DefaultIndenter("  ", "\n"));
        try {
            return JSON.writer(printer).writeValueAsString(node) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a Jackson tree always serializes", e);
        }
    }

    static void writeText(Path file, String text) {
        try {
            AtomicFile.write(file, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw cannotWrite(file, e);
        }
    }

    /** One line: the JDK's messages for missing folders and denied access are only the path, so the type leads. */
    static MesascopeException cannotWrite(Path file, IOException e) {
        String detail = e.getMessage() == null ? "" : ": " + e.getMessage().strip().replaceAll("\\s+", " ");
        return new MesascopeException("cannot write " + file + ": " + e.getClass().getSimpleName() + detail, e);
    }

    private static OptionalInt indexOf(List<String> vocabulary, String word) {
        int i = vocabulary.indexOf(word);
        return i < 0 ? OptionalInt.empty() : OptionalInt.of(i);
    }
}
