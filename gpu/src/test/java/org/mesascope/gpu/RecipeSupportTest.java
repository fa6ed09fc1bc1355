package org.mesascope.gpu;

import org.junit.jupiter.api.Test;
import org.mesascope.core.MesascopeException;
import org.mesascope.core.model.ModelConfig;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Which block recipes the GPU model has kernels for, decided from the config alone (no GPU needed). */
class RecipeSupportTest {
    private static ModelConfig config(String json) {
        return ModelConfig.fromJson(json, Path.of("config.json"));
    }

    @Test
    void gpt2AndLlamaBlocksRun() {
        assertDoesNotThrow(() -> GpuModel.requireKernels(config("""
                {"model_type": "gpt2", "n_embd": 64, "n_layer": 2, "n_head": 4, "n_positions": 32, "vocab_size": 50}""")));
        assertDoesNotThrow(() -> GpuModel.requireKernels(config("""
                {"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
                 "num_key_value_heads": 2, "intermediate_size": 128, "vocab_size": 50, "max_position_embeddings": 32}""")));
    }

    @Test
    void parallelBlocksAreRefusedNamingTheFamily() {
        MesascopeException gptj = assertThrows(MesascopeException.class, () -> GpuModel.requireKernels(config("""
                {"model_type": "gptj", "n_embd": 64, "n_layer": 2, "n_head": 4, "n_positions": 32, "vocab_size": 50,
                 "rotary_dim": 8}""")));
        assertEquals("GPT-J's parallel attention and MLP do not run on the GPU yet; use --device cpu", gptj.getMessage());
        MesascopeException neox = assertThrows(MesascopeException.class, () -> GpuModel.requireKernels(config("""
                {"model_type": "gpt_neox", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
                 "intermediate_size": 128, "vocab_size": 50, "max_position_embeddings": 32}""")));
        assertEquals("GPT-NeoX's parallel attention and MLP do not run on the GPU yet; use --device cpu", neox.getMessage());
        MesascopeException sequentialNeox = assertThrows(MesascopeException.class, () -> GpuModel.requireKernels(config("""
                {"model_type": "gpt_neox", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
                 "intermediate_size": 128, "vocab_size": 50, "max_position_embeddings": 32, "use_parallel_residual": false}""")));
        assertEquals("GPT-NeoX's attention layout does not run on the GPU yet; use --device cpu", sequentialNeox.getMessage());
    }
}
