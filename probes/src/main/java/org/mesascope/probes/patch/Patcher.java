package org.mesascope.probes.patch;

import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.model.LanguageModel;
import org.mesascope.core.model.ModelConfig;
import org.mesascope.core.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Patched forward passes: the base prompt run with some sites' activations replaced by a source run's values at the
 * same hook and position. Many patches run together as one batch of copies of the base prompt, each batch row
 * carrying its own patch, so a grid of 12 layers × 20 positions takes a few passes rather than 240. Rows are
 * independent in the engine (each row's projections accumulate in the same order whatever the batch, attention is
 * per sequence), so a row's logits equal, bit for bit, those of the same patch run alone.
 */
public final class Patcher {
    /** Floats of activations one pass may hold at its widest point (logits or the MLP), about 128 MB. */
    private static final long FLOAT_BUDGET = 1L << 25;
    private static final int MAX_ROWS = 64;

    private final LanguageModel model;
    private final int[] base;
    private final ActivationCache source;
    private final int rowsPerPass;

    /**
     * @param base   token ids of the prompt that runs (the corrupted one when denoising)
     * @param source where patched values come from; same length as {@code base}
     */
    public Patcher(LanguageModel model, int[] base, ActivationCache source) {
        if (source.length() != base.length) {
            throw new IllegalArgumentException("source run has " + source.length() + " positions, the base prompt " + base.length);
        }
        this.model = model;
        this.base = base.clone();
        this.source = source;
        ModelConfig c = model.config();
        long widest = Math.max(Math.max(c.vocabSize(), c.dMlp()), Math.max(3L * c.dModel(), (long) c.nHeads() * base.length));
        this.rowsPerPass = (int) Math.max(1, Math.min(MAX_ROWS, FLOAT_BUDGET / (widest * base.length)));
    }

    /** How many patched runs share one forward pass. */
    public int rowsPerPass() {
        return rowsPerPass;
    }

    /** Logits [T, vocab] of the base prompt with {@code patch} applied (one pass of one row). */
    public Tensor logits(List<Site> patch) {
        Tensor all = run(List.of(patch));
        int[] s = all.shape();
        return all.reshape(s[1], s[2]);
    }

    /** For each patch, the metric at the last position of its patched run. */
    public double[] metrics(List<List<Site>> patches, Metric metric, int answer, int wrong) {
        double[] out = new double[patches.size()];
        int last = base.length - 1;
        for (int from = 0; from < patches.size(); from += rowsPerPass) {
            List<List<Site>> chunk = patches.subList(from, Math.min(patches.size(), from + rowsPerPass));
            Tensor logits = run(chunk);
            int vocab = logits.dim(2), width = logits.dim(1);
            for (int b = 0; b < chunk.size(); b++) {
                out[from + b] = metric.of(logits.data(), (b * width + last) * vocab, vocab, answer, wrong);
            }
        }
        return out;
    }

    /** One pass: row b is the base prompt with patches.get(b) applied. Logits [rows, T, vocab]. */
    Tensor run(List<List<Site>> patches) {
        Map<String, List<RowSite>> byHook = new LinkedHashMap<>();
        for (int b = 0; b < patches.size(); b++) {
            for (Site s : patches.get(b)) {
                if (!source.has(s.hook())) throw new IllegalArgumentException("no source values for " + s.hook());
                if (s.position() >= base.length) {
                    throw new IllegalArgumentException("position " + s.position() + " is past the prompt's " + base.length);
                }
                byHook.computeIfAbsent(s.hook(), h -> new ArrayList<>()).add(new RowSite(b, s));
            }
        }
        HookRegistry registry = new HookRegistry();
        for (Map.Entry<String, List<RowSite>> e : byHook.entrySet()) {
            Tensor from = source.get(e.getKey());
            List<RowSite> sites = e.getValue();
            // a hook name has no '*', so as a glob it matches exactly that hook
            registry.addIntervention(e.getKey(), (hook, value, batch) -> {
                for (RowSite rs : sites) write(value, rs.row, from, rs.site);
                return value;
            });
        }
        int[][] rows = new int[patches.size()][];
        Arrays.fill(rows, base);
        return model.forward(Batch.of(rows), registry);
    }

    private record RowSite(int row, Site site) {
    }

    /** Copies {@code site}'s values from {@code from} [T, ...] into batch row {@code row} of {@code value} [B, T, ...]. */
    private static void write(Tensor value, int row, Tensor from, Site site) {
        int width = value.dim(1);
        int inner = value.size() / (value.dim(0) * width);
        if (from.size() / from.dim(0) != inner) {
            throw new IllegalArgumentException(site.hook() + ": source rows of " + from.size() / from.dim(0)
                    + " values, the pass has " + inner);
        }
        int offset = 0, length = inner;
        if (site.head() != Site.ALL) {
            if (value.rank() != 4) throw new IllegalArgumentException(site.hook() + " has no heads to patch one of");
            int heads = value.dim(2);
            if (site.head() >= heads) throw new IllegalArgumentException("head " + site.head() + " of " + heads);
            length = inner / heads;
            offset = site.head() * length;
        }
        float[] dst = value.data(), src = from.data();
        int first = site.position() == Site.ALL ? 0 : site.position();
        int last = site.position() == Site.ALL ? from.dim(0) - 1 : site.position();
        for (int t = first; t <= last; t++) {
            System.arraycopy(src, t * inner + offset, dst, (row * width + t) * inner + offset, length);
        }
    }
}
