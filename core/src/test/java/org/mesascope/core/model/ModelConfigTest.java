package org.mesascope.core.model;

import org.mesascope.core.cpu.Activation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mesascope.core.MesascopeException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelConfigTest {
    @TempDir
    Path dir;

    private ModelConfig read(String json) throws IOException {
        Files.writeString(dir.resolve("config.json"), json);
        return ModelConfig.read(dir);
    }

    private String error(String json) {
        MesascopeException e = assertThrows(MesascopeException.class, () -> read(json));
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void gpt2DefaultsAsHuggingFace() throws IOException {
        ModelConfig c = read("""
                {"model_type": "gpt2", "n_embd": 768, "n_layer": 12, "n_head": 12, "n_positions": 1024,
                 "vocab_size": 50257, "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new", "n_inner": null}""");
        assertEquals(Gpt2.ARCH, c.family());
        assertEquals(3072, c.dMlp());
        assertEquals(64, c.headDim());
        assertTrue(c.tieEmbeddings());
        assertEquals(Activation.GELU_NEW, c.activation());
        assertEquals(0, c.rotaryDim());
        // GPT-2 small: 124,439,808 parameters, of which ~120K are biases and norm weights that parameterCount() omits
        assertEquals(124_439_808, c.parameterCount(), 200_000);
    }

    @Test
    void neoxRotaryPctAndParallelResidual() throws IOException {
        ModelConfig c = read("""
                {"model_type": "gpt_neox", "hidden_size": 512, "num_hidden_layers": 6, "num_attention_heads": 8,
                 "intermediate_size": 2048, "vocab_size": 50304, "max_position_embeddings": 2048, "rotary_pct": 0.25,
                 "rotary_emb_base": 10000, "use_parallel_residual": false, "hidden_act": "gelu", "layer_norm_eps": 1e-5}""");
        assertEquals(16, c.rotaryDim());
        assertFalse(c.parallelResidual());
        assertEquals(Activation.GELU, c.activation());
        assertFalse(c.tieEmbeddings());
    }

    @Test
    void llamaFamilyFieldsAndScaling() throws IOException {
        ModelConfig c = read("""
                {"model_type": "llama", "hidden_size": 64, "intermediate_size": 172, "num_hidden_layers": 5,
                 "num_attention_heads": 8, "num_key_value_heads": 4, "head_dim": 16, "vocab_size": 512,
                 "max_position_embeddings": 512, "rms_norm_eps": 1e-5, "rope_theta": 500000.0,
                 "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                  "original_max_position_embeddings": 8192}}""");
        assertEquals(2, c.groupSize());
        assertEquals(16, c.headDim());
        assertEquals(16, c.rotaryDim());
        assertEquals("llama3", c.ropeScaling().type());
        assertEquals(8192, c.ropeScaling().originalMaxPositions());
        assertFalse(c.qkvBias());
        ModelConfig q = read("""
                {"model_type": "qwen2", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 100, "max_position_embeddings": 64,
                 "rope_scaling": null}""");
        assertTrue(q.qkvBias());
        assertFalse(q.outBias());
        assertNull(q.ropeScaling());
    }

    @Test
    void badConfigsGiveOneLineCauses() {
        assertTrue(error("{\"model_type\": \"gpt2\", \"n_embd\": 64, \"n_layer\": 2, \"n_positions\": 8, \"vocab_size\": 9}")
                .contains("missing field \"n_head\""));
        assertTrue(error("{\"model_type\": \"bert\"}").contains("unsupported model_type \"bert\""));
        assertTrue(error("{\"n_embd\": 3}").contains("missing field \"model_type\""));
        assertTrue(error("{not json").contains("cannot read"));
        assertTrue(error("""
                {"model_type": "llama", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
                 "num_attention_heads": 6, "num_key_value_heads": 4, "vocab_size": 100, "max_position_embeddings": 64}""")
                .contains("not a multiple"));
        assertTrue(error("""
                {"model_type": "llama", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "vocab_size": 100, "max_position_embeddings": 64,
                 "rope_scaling": {"rope_type": "yarn", "factor": 4.0}}""").contains("rope_scaling type \"yarn\""));
        assertTrue(error("""
                {"model_type": "gpt2", "n_embd": 64, "n_layer": "two", "n_head": 4, "n_positions": 8, "vocab_size": 9}""")
                .contains("\"n_layer\" must be an integer"));
    }

    @Test
    void missingConfigFile() {
        MesascopeException e = assertThrows(MesascopeException.class, () -> ModelConfig.read(dir));
        assertTrue(e.getMessage().startsWith("no config.json"));
    }
}
