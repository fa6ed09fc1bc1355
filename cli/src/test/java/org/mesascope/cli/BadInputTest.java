package org.mesascope.cli;

import org.mesascope.cli.support.Errors;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input of every kind ends with exactly one line on stderr that names the cause, a non-zero exit, no stack trace,
 * and no output file (not even a temp file).
 */
class BadInputTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** A broken copy of the demo checkpoint, the words its one-line error must contain, and the exit code. */
    record Case(String name, Breakage breakage, String expected) {
        @Override
        public String toString() {
            return name;
        }
    }

    @FunctionalInterface
    interface Breakage {
        void apply(Path modelDir) throws IOException;
    }

    static Stream<Case> brokenCheckpoints() {
        return Stream.of(
                new Case("truncated safetensors", dir -> truncate(dir.resolve("model.safetensors"), 500_000),
                        "truncated"),
                new Case("offsets past the end of the file", dir -> editHeader(dir, h -> {
                    ArrayNode offsets = (ArrayNode) h.get("transformer.ln_f.bias").get("data_offsets");
                    long begin = offsets.get(0).longValue();
                    offsets.removeAll().add(begin + 64).add(begin + 64 + 256);
                }), "data_offsets end at"),
                new Case("overlapping offsets", dir -> editHeader(dir, h -> {
                    // ln_f.bias (the last 256 bytes) moved 128 bytes back, into ln_f.weight
                    ArrayNode offsets = (ArrayNode) h.get("transformer.ln_f.bias").get("data_offsets");
                    long begin = offsets.get(0).longValue();
                    offsets.removeAll().add(begin - 128).add(begin + 128);
                }), "overlap"),
                new Case("header length larger than the file", dir -> {
                    Path f = dir.resolve("model.safetensors");
                    byte[] bytes = Files.readAllBytes(f);
                    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, bytes.length + 100L);
                    Files.write(f, bytes);
                }, "truncated: header length"),
                new Case("unknown dtype", dir -> editHeader(dir,
                        h -> ((ObjectNode) h.get("transformer.ln_f.weight")).put("dtype", "Q4")), "has dtype Q4"),
                new Case("missing tensor", dir -> editHeader(dir, h -> h.remove("transformer.h.2.mlp.c_fc.bias")),
                        "missing tensor transformer.h.2.mlp.c_fc.bias"),
                new Case("mis-shaped tensor", dir -> editHeader(dir,
                        h -> ((ObjectNode) h.get("transformer.h.1.ln_2.weight")).putArray("shape").add(32).add(2)),
                        "tensor transformer.h.1.ln_2.weight has shape [32, 2], expected [64]"),
                new Case("config missing a field", dir -> editConfig(dir, c -> c.remove("n_embd")),
                        "missing field \"n_embd\""),
                new Case("unknown model_type", dir -> editConfig(dir, c -> c.put("model_type", "bert")),
                        "unsupported model_type \"bert\""),
                new Case("only pytorch_model.bin", dir -> {
                    Files.delete(dir.resolve("model.safetensors"));
                    Files.write(dir.resolve("pytorch_model.bin"), new byte[]{(byte) 0x80, 2});
                }, "save_pretrained('OUT', safe_serialization=True)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenCheckpoints")
    void brokenCheckpointFailsInOneLine(Case c, @TempDir Path tmp) throws IOException {
        Path model = Cli.demoCopy(tmp.resolve("model"));
        c.breakage.apply(model);
        Path outDir = Files.createDirectory(tmp.resolve("out"));
        Cli.Result r = Cli.run("trace", "--model", model.toString(), "--tokens", "1,2,3",
                "--out", outDir.resolve("t.safetensors").toString());
        assertOneLineFailure(r, Main.FAILURE, c.expected);
        assertEquals(List.of(), Cli.list(outDir), "no output file, not even a temp file");
    }

    static Stream<Case> badArguments() {
        return Stream.of(
                new Case("token id >= vocab", null, "token id 257 at position 1 is outside the vocabulary (ids 0..256)"),
                new Case("prompt longer than the context", null,
                        "prompt of 129 tokens is longer than the model's context of 128 positions"),
                new Case("output folder does not exist", null, "does not exist"),
                new Case("output is a directory", null, "it is a directory"),
                new Case("output folder is a file", null, "is not a directory"),
                new Case("device cuda", null, "; use --device cpu"),
                new Case("tuned lens", null, "no such tuned lens directory"),
                new Case("prompt without a tokenizer", null, "has no tokenizer"),
                new Case("model not found", null, "not found: not a directory and not in the Hugging Face cache"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badArguments")
    void badArgumentFailsInOneLine(Case c, @TempDir Path tmp) throws IOException {
        Path model = Cli.demoModel();
        Path outDir = Files.createDirectory(tmp.resolve("out"));
        String out = outDir.resolve("t.safetensors").toString();
        String[] args = switch (c.name) {
            case "token id >= vocab" -> new String[]{"trace", "--model", model.toString(), "--tokens", "1,257", "--out", out};
            case "prompt longer than the context" -> new String[]{"trace", "--model", model.toString(), "--prompt",
                    "x".repeat(129), "--out", out};
            case "output folder does not exist" -> new String[]{"trace", "--model", model.toString(), "--tokens", "1",
                    "--out", outDir.resolve("missing/t.safetensors").toString()};
            case "output is a directory" -> new String[]{"lens", "--model", model.toString(), "--tokens", "1",
                    "--format", "json", "--out", outDir.toString()};
            case "output folder is a file" -> {
                Files.writeString(outDir.resolve("file"), "x");
                yield new String[]{"lens", "--model", model.toString(), "--tokens", "1", "--format", "html",
                        "--out", outDir.resolve("file/lens.html").toString()};
            }
            case "device cuda" -> new String[]{"trace", "--model", model.toString(), "--tokens", "1", "--out", out,
                    "--device", "cuda"};
            case "tuned lens" -> new String[]{"lens", "--model", model.toString(), "--tokens", "1", "--lens", "tuned:/x"};
            case "prompt without a tokenizer" -> {
                Path copy = Cli.demoCopy(tmp.resolve("model"));
                Files.delete(copy.resolve("tokenizer.json"));
                yield new String[]{"generate", "--model", copy.toString(), "--prompt", "hi"};
            }
            case "model not found" -> new String[]{"trace", "--model", tmp.resolve("nothing").toString(), "--tokens", "1",
                    "--out", out};
            default -> throw new IllegalArgumentException(c.name);
        };
        assertOneLineFailure(Cli.run(args), Main.FAILURE, c.expected);
        assertEquals(c.name.equals("output folder is a file") ? List.of("file") : List.of(), Cli.list(outDir));
    }

    @Test
    void usageErrorsExitWithTwoAndOneLine() {
        String model = Cli.demoModel().toString();
        assertOneLineFailure(Cli.run("lens", "--model", model), Main.USAGE, "(--prompt=TEXT | --tokens=IDS | --vectors=FILE)");
        assertOneLineFailure(Cli.run("lens", "--model", model, "--prompt", "a", "--tokens", "1"), Main.USAGE,
                "mutually exclusive");
        assertOneLineFailure(Cli.run("lens", "--model", model, "--tokens", "1,x"), Main.USAGE, "'1,x' is not a comma-separated list of token ids");
        assertOneLineFailure(Cli.run("lens", "--model", model, "--tokens", "1", "--format", "pdf"), Main.USAGE,
                "unknown format 'pdf' (choose table, json or html)");
        assertOneLineFailure(Cli.run("lens", "--model", model, "--tokens", "1", "--top", "0"), Main.USAGE,
                "--top must be at least 1");
        assertOneLineFailure(Cli.run("lens", "--model", model, "--tokens", "1", "--device", "tpu"), Main.USAGE,
                "unknown device 'tpu'");
        assertOneLineFailure(Cli.run("trace", "--model", model, "--tokens", "1"), Main.USAGE,
                "Missing required option: '--out=FILE'");
        assertOneLineFailure(Cli.run("bogus"), Main.USAGE, "Unmatched argument");
    }

    @Test
    void unexpectedErrorsSayHowToSeeMore() {
        assertEquals("internal error: java.lang.IllegalStateException: lens returned nothing (rerun with --verbose for"
                + " details)", Errors.describe(new IllegalStateException("lens returned\nnothing"), false));
        assertEquals("internal error: java.lang.NullPointerException", Errors.describe(new NullPointerException(), true));
    }

    @Test
    void verbosePrintsTheStackTraceAndStillEndsWithTheCause(@TempDir Path tmp) {
        Cli.Result r = Cli.run("trace", "--verbose", "--model", tmp.resolve("nothing").toString(), "--tokens", "1",
                "--out", tmp.resolve("t.safetensors").toString());
        assertEquals(Main.FAILURE, r.exit());
        assertTrue(r.err().contains("\tat org.mesascope."), r.err());
        assertTrue(r.errLines().getLast().startsWith("mesascope: model "), r.err());
    }

    private static void assertOneLineFailure(Cli.Result r, int exit, String expected) {
        assertEquals(exit, r.exit(), r.err());
        List<String> lines = r.errLines();
        assertEquals(1, lines.size(), "exactly one line on stderr, got:\n" + r.err());
        String line = lines.getFirst();
        assertTrue(line.startsWith("mesascope: "), line);
        assertTrue(line.contains(expected), "expected \"" + expected + "\" in: " + line);
        assertFalse(line.contains("Exception") || line.contains("at org."), "no exception or stack trace: " + line);
        assertEquals("", r.out());
    }

    private static void truncate(Path file, long size) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, (int) size));
    }

    /** Rewrites the safetensors header of the checkpoint in {@code dir} with {@code edit}; the data stays as it is. */
    private static void editHeader(Path dir, Consumer<ObjectNode> edit) throws IOException {
        Path file = dir.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(file);
        int headerLength = (int) ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        ObjectNode header = (ObjectNode) JSON.readTree(Arrays.copyOfRange(bytes, 8, 8 + headerLength));
        edit.accept(header);
        byte[] json = JSON.writeValueAsBytes(header);
        ByteBuffer out = ByteBuffer.allocate(8 + json.length + bytes.length - 8 - headerLength).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(json.length).put(json).put(bytes, 8 + headerLength, bytes.length - 8 - headerLength);
        Files.write(file, out.array());
    }

    private static void editConfig(Path dir, Consumer<ObjectNode> edit) throws IOException {
        Path file = dir.resolve("config.json");
        ObjectNode config = (ObjectNode) JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
        edit.accept(config);
        Files.writeString(file, JSON.writeValueAsString(config));
    }
}
