package org.mesascope.core.model;

import org.mesascope.core.tensor.KvCache;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.hooks.HookPoint;
import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/** A transformer bound to its weights: the forward pass with hooks, and the pieces lenses need. */
public interface LanguageModel {
    ModelConfig config();

    /**
     * Runs {@code batch} through the model, calling every hook point (names as in TransformerLens) while it runs.
     * @param cache null for a plain pass; otherwise keys/values are read for positions before {@code batch.start(b)}
     *              and written for the new ones
     * @return logits [B, T, vocab]
     */
    Tensor forward(Batch batch, HookRegistry hooks, KvCache cache);

    default Tensor forward(Batch batch, HookRegistry hooks) {
        return forward(batch, hooks, null);
    }

    /** Every hook point of a forward pass, in the order the pass reaches them (TransformerLens names, DESIGN.md). */
    default List<HookPoint> hookPoints() {
        ModelConfig c = config();
        List<HookPoint> points = new ArrayList<>();
        points.add(HookPoint.embed());
        if (c.recipe().positions() == BlockRecipe.Positions.LEARNED) points.add(HookPoint.posEmbed());
        for (int l = 0; l < c.nLayers(); l++) {
            points.add(HookPoint.residPre(l));
            points.add(HookPoint.pattern(l));
            points.add(HookPoint.z(l));
            points.add(HookPoint.attnOut(l));
            if (!c.parallelResidual()) points.add(HookPoint.residMid(l));
            points.add(HookPoint.mlpOut(l));
            points.add(HookPoint.residPost(l));
        }
        points.add(HookPoint.lnFinal());
        points.add(HookPoint.logits());
        return points;
    }

    /** The names of {@link #hookPoints()}, in the same order. */
    default List<String> hookNames() {
        return hookPoints().stream().map(HookPoint::name).toList();
    }

    /** The model's final norm and unembedding applied to residual vectors [N, d]: logits [N, vocab] (the logit lens). */
    Tensor unembed(Tensor residual);

    /** A cache for {@code batchSize} sequences of up to {@code capacity} positions. */
    KvCache newCache(int batchSize, int capacity);
}
