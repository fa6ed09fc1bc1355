package org.mesascope.cli.demo;

import org.mesascope.core.hooks.HookPoint;
import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.model.Generation;
import org.mesascope.core.model.LanguageModel;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.Models;
import org.mesascope.probes.linear.LayerActivations;
import org.mesascope.organisms.OrganismCard;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A shipped organism as the demo uses it: the model card of its folder and the loaded checkpoint, with the two ways
 * the demo runs it (greedy completion, and the residual stream at each sequence's last position for the probes).
 */
record DemoModel(String name, OrganismCard card, LoadedModel loaded) implements AutoCloseable {
    /** The hook the demo's probes read, {@code {l}} standing for the layer. */
    static final String PROBE_HOOK = HookPoint.residPost(0).template("{l}");

    /** The organism in {@code dir}, named by its folder. */
    static DemoModel open(Path dir) {
        OrganismCard card = OrganismCard.read(dir);  // first: a folder without a card is not an organism
        String name = dir.getFileName().toString();
        return new DemoModel(name, card, Models.load(name, dir));
    }

    LanguageModel model() {
        return loaded.model();
    }

    /** Greedy continuation of {@code prompt} up to and including {@code end}, or until the context is full. */
    int[] complete(int[] prompt, int end) {
        int room = model().config().maxPositions() - prompt.length;
        return Generation.greedy(model(), prompt, room, new HookRegistry(), end);
    }

    /**
     * {@link #PROBE_HOOK} of every layer at the last position of each sequence: one {@link LayerActivations} per layer,
     * one row per sequence, in order. All sequences run as one right-padded batch; padding is masked, so each row is
     * what the sequence gives alone.
     */
    List<LayerActivations> lastPositionResiduals(List<int[]> sequences) {
        int layers = model().config().nLayers(), d = model().config().dModel();
        float[][][] rows = new float[layers][sequences.size()][];
        HookRegistry hooks = new HookRegistry();
        for (int l = 0; l < layers; l++) {
            float[][] layer = rows[l];
            hooks.addSink(hook(l), (hook, value, batch) -> {
                for (int b = 0; b < batch.size(); b++) {
                    int at = (b * batch.width() + batch.length(b) - 1) * d;
                    layer[b] = Arrays.copyOfRange(value.data(), at, at + d);
                }
            });
        }
        model().forward(Batch.of(sequences.toArray(int[][]::new)), hooks);
        List<LayerActivations> out = new ArrayList<>(layers);
        for (int l = 0; l < layers; l++) out.add(LayerActivations.of(l, rows[l]));
        return List.copyOf(out);
    }

    static String hook(int layer) {
        return HookPoint.residPost(layer).name();
    }

    @Override
    public void close() {
        loaded.close();
    }
}
