package org.mesascope.gpu;

import org.mesascope.core.hooks.HookPoint;
import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.tensor.Batch;

/**
 * The logit lens computed on the GPU (DESIGN.md "Lens rows"): L+1 rows, the residual entering each block and the
 * last block's output, each through the model's final norm and unembedding, then per position the entropy,
 * KL(final || row) and the top k, all on the device. Only those small arrays cross PCIe; the [N, vocab] logits of
 * each row never leave the GPU. Residuals are kept by a {@link DeviceSink} (device-to-device copies on the compute
 * stream) during one forward pass; the unembeddings run in chunks of positions so that a 128k vocabulary fits.
 */
public final class DeviceLens {
    private DeviceLens() {
    }

    /**
     * Row r in 0..L, position i = b * width + t: entropy[r * n + i], kl[r * n + i], top ids and probabilities
     * [r * n + i][0..k). Padding positions are computed too (their values are meaningless).
     */
    public record Result(int lensRows, int positions, int k, float[] entropy, float[] kl, int[] topIds, float[] topProbs) {
    }

    public static Result run(GpuModel model, Batch batch, int k) {
        if (k < 1 || k > 32) throw new IllegalArgumentException("top k must be 1..32, not " + k);
        GpuContext g = model.context();
        g.makeCurrent();
        var c = model.config();
        int layers = c.nLayers(), rows = batch.size() * batch.width(), d = c.dModel(), vocab = c.vocabSize();
        int lensRows = layers + 1;
        long rowBytes = (long) rows * d * 4;
        long store = g.alloc(rowBytes * lensRows);
        // rows 0..L-1 of the store: resid_pre of each layer; row L: the last resid_post
        HookPoint last = HookPoint.residPost(layers - 1);
        DeviceSink keep = new DeviceSink() {
            @Override
            public boolean wants(String hook) {
                return slot(hook) >= 0;
            }

            private int slot(String hook) {
                HookPoint p = HookPoint.parse(hook).orElse(null);
                if (p == null) return -1;
                if (p.equals(last)) return layers;
                return p.site() == HookPoint.Site.RESID_PRE ? p.layer() : -1;
            }

            @Override
            public void accept(String hook, long device, int[] shape) {
                int slot = slot(hook);
                g.cuda.copyDeviceAsync(store + slot * rowBytes, device, rowBytes, g.compute);
            }
        };
        // positions per unembedding: at most 1 GiB of logits, and no more than the workspace's bf16 scratch holds
        int chunk = (int) Math.max(1, Math.min(rows, (1L << 30) / (4L * vocab)));
        long normed = 0, logits = 0, stats = 0, ids = 0, probs = 0;
        try {
            model.forward(batch, new HookRegistry(), null, keep, false);
            long finalLogits = model.deviceLogits();
            normed = g.alloc((long) chunk * d * 4);
            logits = g.alloc((long) chunk * vocab * 4);
            stats = g.alloc((long) lensRows * rows * 4 * 4);
            ids = g.alloc((long) lensRows * rows * k * 4);
            probs = g.alloc((long) lensRows * rows * k * 4);
            for (int r = 0; r < lensRows; r++) {
                for (int from = 0; from < rows; from += chunk) {
                    int n = Math.min(chunk, rows - from);
                    long at = (long) r * rows + from;
                    model.unembedOnDevice(store + r * rowBytes + (long) from * d * 4, normed, logits, n);
                    g.launchRows("lens_stats", n, 256, k * 4, logits, finalLogits + (long) from * vocab * 4, n, vocab, k,
                            stats + at * 16, ids + at * k * 4, probs + at * k * 4);
                }
            }
            float[] st = g.download(stats, lensRows * rows * 4);
            float[] entropy = new float[lensRows * rows], kl = new float[lensRows * rows];
            for (int i = 0; i < entropy.length; i++) {
                entropy[i] = st[i * 4];
                kl[i] = st[i * 4 + 1];
            }
            return new Result(lensRows, rows, k, entropy, kl, g.downloadInts(ids, lensRows * rows * k),
                    g.download(probs, lensRows * rows * k));
        } finally {
            g.cuda.synchronize(g.compute);
            for (long p : new long[]{store, normed, logits, stats, ids, probs}) if (p != 0) g.cuda.free(p);
        }
    }
}
