package org.mesascope.core.model;

import org.mesascope.core.tensor.Batch;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mesascope.core.MesascopeException;
import org.mesascope.core.io.SafetensorsFile;
import org.mesascope.core.io.SafetensorsWriter;
import org.mesascope.core.reference.RandomCheckpoints;
import org.mesascope.core.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Vector-input GPT-2 (ModelConfig.VectorIo). A token model is a vector model whose inputs are one-hot: with
 * read_in = wteᵀ and read_out = wte, both must give the same hooks. The read-in itself is checked in float64.
 */
class VectorIoTest {
    @TempDir
    static Path root;

    /** A vector model with read_in.weight = wteᵀ [d, V], read_out.weight = wte [V, d], zero biases. */
    static Path vectorTwin(Path tokenDir, Path dir, float[] readInBias) throws IOException {
        Files.createDirectories(dir);
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(tokenDir.resolve("config.json").toFile());
        int v = config.get("vocab_size").asInt(), d = config.get("n_embd").asInt();
        config.putObject("mesascope").put("input", "vectors").put("input_dim", v).put("output_dim", v);
        config.remove("vocab_size");
        json.writeValue(dir.resolve("config.json").toFile(), config);
        try (SafetensorsFile in = SafetensorsFile.open(tokenDir.resolve("model.safetensors"));
             SafetensorsWriter out = SafetensorsWriter.create(dir.resolve("model.safetensors"))) {
            for (String name : in.names()) {
                if (name.endsWith("wte.weight") || name.endsWith(".attn.bias") || name.endsWith(".attn.masked_bias")) continue;
                out.add(name, in.tensor(name).toFloatArray(), in.tensor(name).shape());
            }
            float[] wte = in.tensor("wte.weight").toFloatArray();
            float[] transposed = new float[wte.length];
            for (int t = 0; t < v; t++) for (int i = 0; i < d; i++) transposed[i * v + t] = wte[t * d + i];
            out.add("mesascope.read_in.weight", transposed, d, v);
            out.add("mesascope.read_in.bias", readInBias, d);
            out.add("mesascope.read_out.weight", wte, v, d);
            out.add("mesascope.read_out.bias", new float[v], v);
            out.commit();
        }
        return dir;
    }

    @Test
    void oneHotVectorsGiveTheTokenModelsHooks() throws IOException {
        Path tokens = RandomCheckpoints.write(root.resolve("tokens"), RandomCheckpoints.GPT2_NO_PREFIX, 3);
        int d = ModelConfig.read(tokens).dModel();
        Path vectors = vectorTwin(tokens, root.resolve("vectors"), new float[d]);
        try (LoadedModel t = Models.load(tokens.toString()); LoadedModel v = Models.load(vectors.toString())) {
            int vocab = t.config().vocabSize();
            assertEquals(new ModelConfig.VectorIo(vocab, vocab), v.config().vectors());
            int[] ids = {5, 0, 17, 42, 3, 3, 9};
            float[] oneHot = new float[ids.length * vocab];
            for (int i = 0; i < ids.length; i++) oneHot[i * vocab + ids[i]] = 1;
            EngineTrace a = EngineTrace.run(t.model(), ids);
            EngineTrace b = new EngineTrace(v.model(), Batch.ofVectors(vocab, oneHot), null);
            assertEquals(t.model().hookNames(), b.order);
            for (var e : a.only().entrySet()) {
                double err = BatchAndInterventionTest.relativeError(b.only().get(e.getKey()).data(), e.getValue().data());
                assertTrue(err <= 1e-6, e.getKey() + ": " + err);
            }
        }
    }

    @Test
    void readInIsAnAffineMapOfTheVectors() throws IOException {
        Path tokens = RandomCheckpoints.write(root.resolve("tokens2"), RandomCheckpoints.GPT2_NO_PREFIX, 4);
        ModelConfig tc = ModelConfig.read(tokens);
        int d = tc.dModel(), in = tc.vocabSize();
        Random r = new Random(1);
        float[] bias = new float[d];
        for (int i = 0; i < d; i++) bias[i] = (float) r.nextGaussian();
        Path dir = vectorTwin(tokens, root.resolve("affine"), bias);
        try (LoadedModel m = Models.load(dir.toString());
             SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            float[] w = f.tensor("mesascope.read_in.weight").toFloatArray();
            int len = 4;
            float[] x = new float[len * in];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            Tensor[] embed = new Tensor[1];
            m.model().forward(Batch.ofVectors(in, x), new org.mesascope.core.hooks.HookRegistry()
                    .addSink("hook_embed", (h, v, b) -> embed[0] = v.copy()));
            double diff = 0, norm = 0;
            for (int t = 0; t < len; t++) {
                for (int i = 0; i < d; i++) {
                    double want = bias[i];
                    for (int j = 0; j < in; j++) want += (double) w[i * in + j] * x[t * in + j];
                    double got = embed[0].data()[t * d + i];
                    diff += (got - want) * (got - want);
                    norm += want * want;
                }
            }
            assertTrue(Math.sqrt(diff / norm) <= 1e-6, "read-in relative error " + Math.sqrt(diff / norm));
            assertThrows(MesascopeException.class, () -> m.model().forward(Batch.of(new int[]{1, 2}), new org.mesascope.core.hooks.HookRegistry()));
            assertArrayEquals(new int[]{1, len, in}, m.model().forward(Batch.ofVectors(in, x), new org.mesascope.core.hooks.HookRegistry()).shape());
        }
    }

    @Test
    void onlyGpt2TakesVectors() throws IOException {
        Path dir = RandomCheckpoints.write(root.resolve("llama"), RandomCheckpoints.LLAMA_GQA, 1);
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(dir.resolve("config.json").toFile());
        config.set("mesascope", json.valueToTree(Map.of("input", "vectors", "input_dim", 3, "output_dim", 1)));
        json.writeValue(dir.resolve("config.json").toFile(), config);
        MesascopeException e = assertThrows(MesascopeException.class, () -> ModelConfig.read(dir));
        assertTrue(e.getMessage().contains("only supported for model_type gpt2"), e.getMessage());
    }
}
