package org.mesascope.probes.lens.tuned;

import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.model.LanguageModel;
import org.mesascope.core.model.ModelConfig;
import org.mesascope.core.tensor.Tensor;
import org.mesascope.probes.lens.LensRunner;

import java.util.List;

/**
 * Lens rows and final logits of token windows, from Mesascope's own forward pass: the residual entering each block
 * ({@code blocks.{l}.hook_resid_pre}), optionally the last block's output, and the logits. Windows run a batch at a
 * time ({@link #windowsPerBatch}), so what is held is bounded by one batch, never the corpus.
 */
final class Activations {
    /** Residuals plus logits of one batch stay below this many floats (128 MiB), unless one window alone is larger. */
    static final long BUFFER_FLOATS = 1L << 25;
    /** At most this many tokens per forward pass (the engine's own buffers grow with the batch). */
    static final int FORWARD_TOKENS = 8192;

    /**
     * @param rows   per lens row r the residuals [tokens · d], window after window
     * @param logits the model's logits [tokens · vocab]
     */
    record Rows(int tokens, float[][] rows, float[] logits) {
    }

    private Activations() {
    }

    /** Windows of {@code seqLen} tokens per forward pass, within {@link #BUFFER_FLOATS} and {@link #FORWARD_TOKENS}. */
    static int windowsPerBatch(ModelConfig c, int seqLen) {
        long perWindow = (long) seqLen * ((long) (c.nLayers() + 1) * c.dModel() + c.vocabSize());
        long byMemory = BUFFER_FLOATS / perWindow;
        return (int) Math.max(1, Math.min(byMemory, FORWARD_TOKENS / seqLen));
    }

    /**
     * One forward pass over {@code windows} (all of one length).
     * @param withLastRow also keep lens row L (the last block's output); training needs only rows 0..L-1
     */
    static Rows run(LanguageModel model, List<int[]> windows, boolean withLastRow) {
        ModelConfig c = model.config();
        int layers = c.nLayers();
        List<String> hooks = LensRunner.rowHooks(layers);
        int count = withLastRow ? layers + 1 : layers;
        float[][] rows = new float[count][];
        HookRegistry registry = new HookRegistry();
        for (int r = 0; r < count; r++) {
            int row = r;
            // the tensor is valid only during the call: keep a copy
            registry.addSink(hooks.get(r), (hook, value, batch) -> rows[row] = value.data().clone());
        }
        Tensor logits = model.forward(Batch.of(windows.toArray(int[][]::new)), registry);
        for (int r = 0; r < count; r++) {
            if (rows[r] == null) throw new IllegalStateException("the model never called hook " + hooks.get(r));
        }
        int tokens = windows.size() * windows.getFirst().length;
        return new Rows(tokens, rows, logits.data());
    }
}
