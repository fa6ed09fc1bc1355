package org.mesascope.probes.lens;

import org.mesascope.core.hooks.HookPoint;
import org.mesascope.core.MesascopeException;
import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.model.LanguageModel;
import org.mesascope.core.tensor.Tensor;
import org.mesascope.core.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs a {@link Lens} over one prompt: one forward pass that keeps only the lens rows' residuals, then each row read
 * through the lens and scored against the model's own output distribution.
 *
 * <p>Memory stays at the residual rows ((L+1)·T·d floats) plus the model's logits (T·vocab) plus one chunk of lens
 * logits: rows are read a few positions at a time, never all (L+1)·T·vocab logits at once.
 */
public final class LensRunner {
    /** No target at this position (in {@code targets}). */
    public static final int NO_TARGET = -1;
    /** At most this many lens logits per call of the lens (16 Mi floats, 64 MiB), however long the prompt. */
    private static final int CHUNK_FLOATS = 1 << 24;

    private LensRunner() {
    }

    /**
     * The hooks whose residuals form the lens rows: {@code blocks.{l}.hook_resid_pre} for l = 0..L-1, then
     * {@code blocks.{L-1}.hook_resid_post}.
     */
    public static List<String> rowHooks(int nLayers) {
        List<String> hooks = new ArrayList<>(nLayers + 1);
        for (int l = 0; l < nLayers; l++) hooks.add(HookPoint.residPre(l).name());
        hooks.add(HookPoint.residPost(nLayers - 1).name());
        return hooks;
    }

    /**
     * @param tokenizer null when there is none: token texts are then written {@code <id>}
     * @param topK      tokens listed per row and position (at most the vocabulary)
     * @param targets   per position the token to score ({@link #NO_TARGET} for none), or null for the next input token
     *                  (the last position then has none)
     */
    public static LensReport run(Lens lens, LanguageModel model, Tokenizer tokenizer, String modelName, int[] tokens,
                                 int topK, int[] targets) {
        return run(lens, model, tokenizer, modelName, tokens, topK, targets, new HookRegistry());
    }

    /**
     * As above, with the forward pass run under {@code registry}: its interventions (steering, patching) change the
     * pass, and the lens reads the rows as they are after them. The runner adds its own sinks to {@code registry},
     * so give each run a fresh one.
     */
    public static LensReport run(Lens lens, LanguageModel model, Tokenizer tokenizer, String modelName, int[] tokens,
                                 int topK, int[] targets, HookRegistry registry) {
        if (topK < 1) throw new MesascopeException("top-k must be at least 1, got " + topK);
        int nLayers = model.config().nLayers();
        int d = model.config().dModel();
        int vocab = model.config().vocabSize();
        int length = tokens.length;
        int[] scored = resolveTargets(targets, tokens, vocab);
        List<String> hooks = rowHooks(nLayers);

        float[][] residuals = new float[hooks.size()][];
        registry.addSink(HookPoint.everyLayer(HookPoint.Site.RESID_PRE), (hook, value, batch) -> {
            // the tensor is only valid during this call: keep a copy
            residuals[hooks.indexOf(hook.name())] = value.data().clone();
        }).addSink(hooks.getLast(), (hook, value, batch) -> residuals[nLayers] = value.data().clone());
        // one sequence, so hook tensors [1, T, d] hold exactly T·d values and logits T·vocab
        Tensor logits = model.forward(Batch.of(tokens), registry);
        for (int r = 0; r < residuals.length; r++) {
            if (residuals[r] == null) throw new IllegalStateException("the model never called hook " + hooks.get(r));
        }

        Distribution[] finals = new Distribution[length];
        for (int t = 0; t < length; t++) {
            int at = t;
            finals[t] = Distribution.of(logits.data(), t * vocab, vocab, () -> "model logits at position " + at);
        }

        TokenText text = new TokenText(tokenizer);
        List<LensReport.TokenInfo> tokenInfos = new ArrayList<>(length);
        for (int id : tokens) tokenInfos.add(new LensReport.TokenInfo(id, text.of(id)));

        int chunk = Math.max(1, Math.min(length, CHUNK_FLOATS / vocab));
        List<LensReport.Row> rows = new ArrayList<>(hooks.size());
        for (int r = 0; r < hooks.size(); r++) {
            String hook = hooks.get(r);
            List<LensReport.Position> positions = new ArrayList<>(length);
            for (int t0 = 0; t0 < length; t0 += chunk) {
                int n = Math.min(chunk, length - t0);
                Tensor out = lens.logits(r, new Tensor(Arrays.copyOfRange(residuals[r], t0 * d, (t0 + n) * d), n, d));
                if (out.rank() != 2 || out.dim(0) != n || out.dim(1) != vocab) {
                    throw new IllegalStateException("lens returned " + out + " for row " + hook + ", expected [" + n + ", " + vocab + "]");
                }
                for (int i = 0; i < n; i++) {
                    int t = t0 + i;
                    Distribution row = Distribution.of(out.data(), i * vocab, vocab, () -> hook + " position " + t);
                    positions.add(position(row, finals[t], topK, scored[t], text));
                }
            }
            residuals[r] = null; // a row is read once; let it go before the next
            rows.add(new LensReport.Row(hook, List.copyOf(positions)));
        }
        return new LensReport(modelName, List.copyOf(tokenInfos), List.copyOf(rows));
    }

    private static LensReport.Position position(Distribution row, Distribution fin, int topK, int target, TokenText text) {
        List<LensReport.Top> top = new ArrayList<>(topK);
        for (int id : row.top(topK)) top.add(new LensReport.Top(id, text.of(id), row.prob(id)));
        LensReport.Target scored = target == NO_TARGET ? null
                : new LensReport.Target(target, row.prob(target), row.rank(target));
        return new LensReport.Position(List.copyOf(top), row.entropy(), row.klFrom(fin), scored);
    }

    /** The target of every position: the given ones (checked), or each position's next input token. */
    private static int[] resolveTargets(int[] targets, int[] tokens, int vocab) {
        if (tokens.length == 0) throw new MesascopeException("empty prompt: the lens needs at least one token");
        if (targets == null) {
            int[] next = new int[tokens.length];
            System.arraycopy(tokens, 1, next, 0, tokens.length - 1);
            next[tokens.length - 1] = NO_TARGET;
            return next;
        }
        if (targets.length != tokens.length) {
            throw new MesascopeException(targets.length + " targets for " + tokens.length + " tokens: give one per position");
        }
        for (int t = 0; t < targets.length; t++) {
            if (targets[t] != NO_TARGET && (targets[t] < 0 || targets[t] >= vocab)) {
                throw new MesascopeException("target id " + targets[t] + " at position " + t
                        + " is outside the vocabulary (ids 0.." + (vocab - 1) + ")");
            }
        }
        return targets;
    }
}
