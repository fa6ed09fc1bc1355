package org.mesascope.gpu;

import org.mesascope.core.cpu.Activation;
import org.mesascope.core.MesascopeException;
import org.mesascope.core.backend.Precision;
import org.mesascope.core.cpu.Rotary;
import org.mesascope.core.cpu.Gemm;
import org.mesascope.core.cpu.Linear;
import org.mesascope.core.hooks.HookPoint;
import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.io.WeightTensor;
import org.mesascope.core.io.Weights;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.model.BlockRecipe;
import org.mesascope.core.tensor.KvCache;
import org.mesascope.core.model.LanguageModel;
import org.mesascope.core.model.ModelConfig;
import org.mesascope.core.model.ModelWeights;
import org.mesascope.core.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * The forward pass on one GPU for the block recipes it has kernels for: GPT-2's (LayerNorm, learned positions,
 * fused [q | k | v], plain MLP) and the Llama family's (RMSNorm, rotate-half rotary, separate q/k/v, gated MLP), both
 * with a sequential residual. It reads the same {@link ModelWeights} as the CPU engine ({@link
 * org.mesascope.core.model.Transformer}, the reference: same hook points in the same order). Weights are uploaded
 * once: fp32, or for {@link Precision#BF16} the matrices converted to bf16 on the device (norms, biases and the
 * embedding lookup stay fp32). Every other value is fp32; products accumulate in fp32.
 * <p>
 * Not on the GPU (yet): parallel-residual blocks (GPT-NeoX, GPT-J), per-head fused q/k/v, interleaved rotary,
 * vector-input models, the KV cache (generation); the constructor says which in one line.
 */
public final class GpuModel implements LanguageModel, AutoCloseable {
    /** A linear layer on the device: weight [in, out] (GPT-2's Conv1D) or [out, in] (nn.Linear), optional bias. */
    record DLinear(long w, boolean outIn, long bias, int in, int out) {
    }

    /** One block on the device; norm biases are 0 for RMSNorm, {@code qkv} or {@code q, k, v} as the recipe stores them. */
    record Block(long norm1W, long norm1B, DLinear qkv, DLinear q, DLinear k, DLinear v, DLinear o,
                 long norm2W, long norm2B, DLinear gate, DLinear up, DLinear down) {
    }

    private final ModelConfig c;
    private final Precision precision;
    private final GpuContext g;
    private final boolean layerNorm, learnedPositions, gated;
    private final DeviceBlas.ElementType weightType;
    private final long embed, positions;
    private final Block[] blocks;
    private final long finalNormW, finalNormB;
    private final DLinear unembed;
    private final List<Long> allocations = new ArrayList<>();
    private final HookStream.PinnedPool pinned;
    private final Rotary rotary;
    private Workspace ws;
    private long rotaryTables;
    private int rotaryWidth;

    GpuModel(GpuContext g, ModelConfig c, Weights weights, Precision precision) {
        requireKernels(c);
        this.g = g;
        this.c = c;
        this.precision = precision;
        BlockRecipe r = c.recipe();
        this.layerNorm = r.norm() == BlockRecipe.Norm.LAYER_NORM;
        this.learnedPositions = r.positions() == BlockRecipe.Positions.LEARNED;
        this.gated = r.mlp() == BlockRecipe.Mlp.GATED;
        this.weightType = precision == Precision.BF16 ? DeviceBlas.ElementType.BF16 : DeviceBlas.ElementType.F32;
        this.pinned = new HookStream.PinnedPool(g);
        this.rotary = c.rotary();
        g.makeCurrent();
        ModelWeights w = ModelWeights.bind(c, weights);
        blocks = new Block[c.nLayers()];
        try {
            embed = upload(w.tokenEmbedding(), false);
            positions = learnedPositions ? upload(w.positionEmbedding(), false) : 0;
            for (int l = 0; l < c.nLayers(); l++) {
                ModelWeights.Block b = w.blocks()[l];
                blocks[l] = new Block(vec(b.ln1().weight()), vec(b.ln1().bias()), linear(b.qkv()), linear(b.q()),
                        linear(b.k()), linear(b.v()), linear(b.out()), vec(b.ln2().weight()), vec(b.ln2().bias()),
                        linear(b.gate()), linear(b.up()), linear(b.down()));
            }
            finalNormW = vec(w.finalNorm().weight());
            finalNormB = vec(w.finalNorm().bias());
            unembed = w.unembed().weight() == w.tokenEmbedding() ? tied(w.tokenEmbedding()) : linear(w.unembed());
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** One line naming what of {@code c}'s recipe has no kernels here yet, thrown before anything is uploaded. */
    static void requireKernels(ModelConfig c) {
        BlockRecipe r = c.recipe();
        String family = c.family().displayName();
        if (c.vectors() != null) throw new MesascopeException("vector-input models do not run on the GPU yet; use --device cpu");
        if (r.parallel()) throw new MesascopeException(family + "'s parallel attention and MLP do not run on the GPU yet; use --device cpu");
        if (r.qkv() == BlockRecipe.QkvLayout.FUSED_PER_HEAD || r.positions() == BlockRecipe.Positions.ROTARY_INTERLEAVED) {
            throw new MesascopeException(family + "'s attention layout does not run on the GPU yet; use --device cpu");
        }
    }

    public Precision precision() {
        return precision;
    }

    @Override
    public ModelConfig config() {
        return c;
    }

    // ---- weights ---------------------------------------------------------------------------------------------

    private long track(long ptr) {
        allocations.add(ptr);
        return ptr;
    }

    /** Uploads a tensor as fp32, or converted to bf16 on the device when {@code bf16}. */
    private long upload(WeightTensor t, boolean bf16) {
        long n = t.numel();
        long f32 = g.alloc(n * 4);
        // through a bounded host buffer: embeddings of 128k x 4096 are 2 GiB, more than one Java array holds
        int chunk = 1 << 22;
        float[] tmp = new float[(int) Math.min(n, chunk)];
        try (Arena a = Arena.ofConfined()) {
            MemorySegment host = a.allocate(ValueLayout.JAVA_FLOAT, tmp.length);
            for (long from = 0; from < n; from += chunk) {
                int len = (int) Math.min(chunk, n - from);
                t.read(from, tmp, 0, len);
                MemorySegment.copy(tmp, 0, host, ValueLayout.JAVA_FLOAT, 0, len);
                g.cuda.copyToDevice(f32 + from * 4, host, (long) len * 4);
            }
        }
        if (!bf16) return track(f32);
        long b16 = track(g.alloc(n * 2));
        g.launch1d("f32_to_bf16", n, b16, f32, n);
        g.cuda.synchronize(g.compute);
        g.cuda.free(f32);
        return b16;
    }

    /** A norm weight or bias as fp32 on the device; 0 for an absent one (RMSNorm's bias). */
    private long vec(float[] values) {
        if (values == null) return 0;
        long p = track(g.alloc((long) values.length * 4));
        g.upload(p, values);
        return p;
    }

    /** A linear layer's weight in its stored layout (bf16 in bf16 mode) and its fp32 bias; null for an absent layer. */
    private DLinear linear(Linear l) {
        if (l == null) return null;
        return new DLinear(upload(l.weight(), weightType == DeviceBlas.ElementType.BF16), l.layout() == Gemm.Layout.OUT_IN,
                vec(l.bias()), l.in(), l.out());
    }

    /** The unembedding tied to the token embedding: the same fp32 buffer, or a bf16 copy in bf16 mode. */
    private DLinear tied(WeightTensor table) {
        long w = weightType == DeviceBlas.ElementType.BF16 ? upload(table, true) : embed;
        return new DLinear(w, true, 0, c.dModel(), c.vocabSize());
    }

    // ---- the pass --------------------------------------------------------------------------------------------

    /** Device buffers for one batch shape, kept while batches fit (B*T rows, T positions). */
    private final class Workspace {
        final int rows, width, batch;
        final long ids, pos, embed, posEmbed, x, qkv, h, up, normed, logits, bf16;
        final long[] resid = new long[2], mid = new long[2], attnOut = new long[2], mlpOut = new long[2],
                z = new long[2], pattern = new long[2];
        final List<Long> mine = new ArrayList<>();

        Workspace(int batch, int width) {
            this.batch = batch;
            this.width = width;
            this.rows = batch * width;
            int d = c.dModel(), qDim = c.nHeads() * c.headDim(), kvDim = c.nKvHeads() * c.headDim();
            long r = rows;
            ids = alloc(r * 4);
            pos = alloc(r * 4);
            embed = alloc(r * d * 4);
            posEmbed = alloc(r * d * 4);
            x = alloc(r * d * 4);
            qkv = alloc(r * (qDim + 2L * kvDim) * 4);
            h = alloc(r * c.dMlp() * 4);
            up = alloc(r * c.dMlp() * 4);
            normed = alloc(r * d * 4);
            logits = alloc(r * c.vocabSize() * 4);
            bf16 = alloc(r * Math.max(Math.max(d, qDim), c.dMlp()) * 2);
            for (int i = 0; i < 2; i++) {
                resid[i] = alloc(r * d * 4);
                mid[i] = alloc(r * d * 4);
                attnOut[i] = alloc(r * d * 4);
                mlpOut[i] = alloc(r * d * 4);
                z[i] = alloc(r * qDim * 4);
                pattern[i] = alloc((long) batch * c.nHeads() * width * width * 4);
            }
        }

        private long alloc(long bytes) {
            long p = g.alloc(bytes);
            mine.add(p);
            return p;
        }

        void free() {
            for (long p : mine) g.cuda.free(p);
        }
    }

    private Workspace workspace(int batch, int width) {
        if (ws != null && ws.batch == batch && ws.width == width) return ws;
        g.cuda.synchronize(g.compute);
        if (ws != null) ws.free();
        ws = null;
        ws = new Workspace(batch, width);
        return ws;
    }

    /** cos and sin [width, rotaryDim/2] from the CPU engine's own Rotary (rotating (1, 0) pairs gives (cos, sin)). */
    private long rotaryTables(int width) {
        if (rotaryTables != 0 && rotaryWidth >= width) return rotaryTables;
        int rd = c.rotaryDim(), half = rd / 2;
        float[] x = new float[width * rd];
        for (int t = 0; t < width; t++) for (int i = 0; i < half; i++) x[t * rd + i] = 1;
        rotary.apply(x, 1, width, new int[]{0}, 1, rd);
        float[] table = new float[2 * width * half];
        for (int t = 0; t < width; t++) {
            for (int i = 0; i < half; i++) {
                table[t * half + i] = x[t * rd + i];
                table[width * half + t * half + i] = x[t * rd + half + i];
            }
        }
        if (rotaryTables != 0) {
            g.cuda.synchronize(g.compute);
            g.cuda.free(rotaryTables);
        }
        rotaryTables = g.alloc((long) table.length * 4);
        g.upload(rotaryTables, table);
        rotaryWidth = width;
        return rotaryTables;
    }

    private void linear(DLinear l, long x, int rows, long y) {
        linear(l, x, rows, y, ws == null ? 0 : ws.bf16);
    }

    /** y = x W (+ bias); in bf16 mode x is first rounded into {@code bf16Scratch} (rows * in bf16 values). */
    private void linear(DLinear l, long x, int rows, long y, long bf16Scratch) {
        long input = x;
        if (weightType == DeviceBlas.ElementType.BF16) {
            g.launch1d("f32_to_bf16", (long) rows * l.in(), bf16Scratch, x, (long) rows * l.in());
            input = bf16Scratch;
        }
        // row-major Y[rows, out] = X[rows, in] W is, column-major, Y^T = W^T X^T: m = out, n = rows, k = in
        g.blas.gemm(l.outIn(), false, l.out(), rows, l.in(), l.w(), weightType, l.outIn() ? l.in() : l.out(),
                input, weightType, l.in(), y, l.out(), false, precision == Precision.TF32);
        if (l.bias() != 0) g.launch1d("add_bias", (long) rows * l.out(), y, l.bias(), rows, l.out());
    }

    private void norm(long out, long x, long w, long b, int rows) {
        if (layerNorm) g.launchRows("layernorm", rows, 256, 0, out, x, w, b, c.dModel(), (float) c.normEps());
        else g.launchRows("rmsnorm", rows, 256, 0, out, x, w, c.dModel(), (float) c.normEps());
    }

    private void add(long out, long a, long b, long n) {
        g.launch1d("add", n, out, a, b, n);
    }

    @Override
    public Tensor forward(Batch batch, HookRegistry hooks, KvCache cache) {
        return forward(batch, hooks, cache, null, true);
    }

    /**
     * The pass with CPU hooks and an optional device sink; the logits are copied to the host only when
     * {@code returnLogits} (a benchmark or a device-side lens leaves them on the GPU, see {@link #deviceLogits()}).
     */
    public Tensor forward(Batch batch, HookRegistry registry, KvCache cache, DeviceSink deviceSink, boolean returnLogits) {
        if (cache != null) throw new MesascopeException("the KV cache (generation) does not run on the GPU yet; use --device cpu");
        checkInput(batch);
        g.makeCurrent();
        int bsz = batch.size(), width = batch.width(), rows = bsz * width, d = c.dModel();
        int heads = c.nHeads(), kvHeads = c.nKvHeads(), hd = c.headDim(), qDim = heads * hd, kvDim = kvHeads * hd;
        Workspace w = workspace(bsz, width);
        HookStream hs = new HookStream(g, registry.bind(batch), pinned, deviceSink);
        try {
            int[] ids = new int[rows], pos = new int[rows];
            for (int b = 0; b < bsz; b++) {
                for (int t = 0; t < width; t++) {
                    ids[b * width + t] = t < batch.length(b) ? batch.tokens()[b][t] : 0;
                    // padding beyond the context reads the last row, as the CPU engine does
                    pos[b * width + t] = learnedPositions ? Math.min(t, c.maxPositions() - 1) : t;
                }
            }
            g.upload(w.ids, ids);
            g.upload(w.pos, pos);
            long cosSin = rotary == null ? 0 : rotaryTables(width);
            int[] bTd = {bsz, width, d};
            int act = activationCode(c.activation());

            g.launch1d("embed_lookup", (long) rows * d, w.embed, embed, w.ids, rows, d);
            hs.at(HookPoint.embed(), w.embed, bTd);
            long resid = w.resid[0];
            if (learnedPositions) {
                g.launch1d("embed_lookup", (long) rows * d, w.posEmbed, positions, w.pos, rows, d);
                hs.at(HookPoint.posEmbed(), w.posEmbed, bTd);
                add(resid, w.embed, w.posEmbed, (long) rows * d);
            } else {
                g.cuda.copyDeviceAsync(resid, w.embed, (long) rows * d * 4, g.compute);
            }

            for (int l = 0; l < c.nLayers(); l++) {
                int par = l % 2, next = (l + 1) % 2;
                // this layer's hooked buffers held layer l-2's values (resid[next]: l-1's input): copies may still read them
                for (long buf : new long[]{w.pattern[par], w.z[par], w.attnOut[par], w.mid[par], w.mlpOut[par], w.resid[next]}) {
                    hs.guard(buf);
                }
                Block bl = blocks[l];
                hs.at(HookPoint.residPre(l), resid, bTd);

                norm(w.x, resid, bl.norm1W(), bl.norm1B(), rows);
                long q, k, v;
                int qStride, kStride;
                if (bl.qkv() != null) {
                    // one GEMM whose rows are [q | k | v]
                    linear(bl.qkv(), w.x, rows, w.qkv);
                    q = w.qkv;
                    k = w.qkv + (long) qDim * 4;
                    v = k + (long) kvDim * 4;
                    qStride = kStride = qDim + 2 * kvDim;
                } else {
                    q = w.qkv;
                    k = q + (long) rows * qDim * 4;
                    v = k + (long) rows * kvDim * 4;
                    linear(bl.q(), w.x, rows, q);
                    linear(bl.k(), w.x, rows, k);
                    linear(bl.v(), w.x, rows, v);
                    qStride = qDim;
                    kStride = kvDim;
                }
                if (rotary != null && c.rotaryDim() > 0) {
                        long cos = cosSin, sin = cosSin + (long) width * (c.rotaryDim() / 2) * 4;
                        g.launch1d("rotary", (long) rows * heads * (c.rotaryDim() / 2), q, cos, sin, w.pos, rows, heads, hd, c.rotaryDim(), qStride);
                        g.launch1d("rotary", (long) rows * kvHeads * (c.rotaryDim() / 2), k, cos, sin, w.pos, rows, kvHeads, hd, c.rotaryDim(), kStride);
                }
                double scale = 1 / Math.sqrt(hd) / (c.attnScaleByLayer() ? l + 1 : 1);
                int tiles = (width + 15) / 16;
                long p = w.pattern[par];
                g.launch("attn_scores", tiles, tiles, bsz * heads, 16, 16, p, q, k, width, heads, kvHeads, hd,
                        qStride, kStride, (float) scale, c.windowAt(l));
                g.launchRows("softmax_rows", bsz * heads * width, 128, 0, p, width);
                hs.at(HookPoint.pattern(l), p, bsz, heads, width, width);
                g.launch("attn_weighted", (hd + 15) / 16, tiles, bsz * heads, 16, 16, w.z[par], p, v, width, heads,
                        kvHeads, hd, kStride);
                hs.at(HookPoint.z(l), w.z[par], bsz, width, heads, hd);
                linear(bl.o(), w.z[par], rows, w.attnOut[par]);
                hs.at(HookPoint.attnOut(l), w.attnOut[par], bTd);
                add(w.mid[par], resid, w.attnOut[par], (long) rows * d);
                hs.at(HookPoint.residMid(l), w.mid[par], bTd);

                norm(w.x, w.mid[par], bl.norm2W(), bl.norm2B(), rows);
                if (!gated) {
                    linear(bl.up(), w.x, rows, w.h);
                    g.launch1d("activate", (long) rows * c.dMlp(), w.h, (long) rows * c.dMlp(), act);
                } else {
                    linear(bl.gate(), w.x, rows, w.h);
                    linear(bl.up(), w.x, rows, w.up);
                    g.launch1d("gated_activate", (long) rows * c.dMlp(), w.h, w.up, (long) rows * c.dMlp(), act);
                }
                linear(bl.down(), w.h, rows, w.mlpOut[par]);
                hs.at(HookPoint.mlpOut(l), w.mlpOut[par], bTd);
                // resid_post lands in the other parity's residual buffer: it is the next layer's resid_pre
                add(w.resid[next], w.mid[par], w.mlpOut[par], (long) rows * d);
                resid = w.resid[next];
                hs.at(HookPoint.residPost(l), resid, bTd);
            }
            norm(w.normed, resid, finalNormW, finalNormB, rows);
            hs.at(HookPoint.lnFinal(), w.normed, bTd);
            linear(unembed, w.normed, rows, w.logits);
            hs.at(HookPoint.logits(), w.logits, bsz, width, c.vocabSize());
            hs.finish();
            if (!returnLogits) return null;
            return new Tensor(g.download(w.logits, Math.toIntExact((long) rows * c.vocabSize())), bsz, width, c.vocabSize());
        } finally {
            hs.finish();
        }
    }

    /** The device address of the last pass's logits [B*T, vocab] (valid until the next pass). */
    public long deviceLogits() {
        return ws.logits;
    }

    /** Waits for the compute stream (timing). */
    public void synchronize() {
        g.cuda.synchronize(g.compute);
    }

    private void checkInput(Batch batch) {
        if (batch.hasVectors()) throw new MesascopeException("this model reads token ids, not vectors");
        for (int b = 0; b < batch.size(); b++) {
            if (batch.start(b) != 0) throw new MesascopeException("continuing a sequence needs the KV cache, which does not run on the GPU yet");
            for (int t = 0; t < batch.length(b); t++) {
                int id = batch.tokens()[b][t];
                if (id < 0 || id >= c.vocabSize()) {
                    throw new MesascopeException("token id " + id + " at position " + t + " is outside the vocabulary (ids 0.."
                            + (c.vocabSize() - 1) + ")");
                }
            }
            if (batch.width() > c.maxPositions()) {
                throw new MesascopeException("sequence of " + batch.width() + " tokens is longer than the model's context of "
                        + c.maxPositions() + " positions");
            }
        }
    }

    static int activationCode(Activation a) {
        return switch (a) {
            case GELU_NEW -> 0;
            case GELU -> 1;
            case SILU -> 2;
            case RELU -> 3;
        };
    }

    /** Final norm and unembedding of residual rows [N, d], on the device (N rows uploaded, logits downloaded). */
    @Override
    public Tensor unembed(Tensor residual) {
        g.makeCurrent();
        int n = residual.dim(0), d = c.dModel();
        long x = g.alloc((long) n * d * 4), normed = g.alloc((long) n * d * 4), logits = g.alloc((long) n * c.vocabSize() * 4);
        long scratch = weightType == DeviceBlas.ElementType.BF16 ? g.alloc((long) n * d * 2) : 0;
        try {
            g.upload(x, residual.data());
            norm(normed, x, finalNormW, finalNormB, n);
            linear(unembed, normed, n, logits, scratch);
            return new Tensor(g.download(logits, Math.toIntExact((long) n * c.vocabSize())), n, c.vocabSize());
        } finally {
            g.cuda.synchronize(g.compute);
            for (long p : new long[]{x, normed, logits, scratch}) if (p != 0) g.cuda.free(p);
        }
    }

    /** Norm + unembedding of {@code rows} residual rows already on the device, into {@code logits} (device lens). */
    void unembedOnDevice(long residual, long normed, long logits, int rows) {
        norm(normed, residual, finalNormW, finalNormB, rows);
        linear(unembed, normed, rows, logits);
    }

    GpuContext context() {
        return g;
    }

    Workspace currentWorkspace() {
        return ws;
    }

    @Override
    public KvCache newCache(int batchSize, int capacity) {
        throw new MesascopeException("the KV cache (generation) does not run on the GPU yet; use --device cpu");
    }

    @Override
    public void close() {
        g.makeCurrent();
        g.cuda.synchronize(g.compute);
        if (ws != null) ws.free();
        ws = null;
        for (long p : allocations) g.cuda.free(p);
        allocations.clear();
        if (rotaryTables != 0) g.cuda.free(rotaryTables);
        rotaryTables = 0;
        pinned.close();
    }
}
