package org.mesascope.probes.patch;

import org.mesascope.core.hooks.HookPoint;
import org.mesascope.core.MesascopeException;
import org.mesascope.core.model.LanguageModel;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.ModelConfig;
import org.mesascope.core.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Activation patching over a grid (Meng et al. 2022's causal tracing with a corrupted prompt instead of noise, as
 * Wang et al. 2022 and Heimersheim &amp; Nanda 2024 use it): a clean and a corrupted prompt of the same length, a
 * metric on the last position's logits, and for every (hook, position), and optionally every (layer, head) over all
 * positions, one run of the base prompt with that one activation taken from the other prompt's run. Each cell's score
 * is normalized as
 * <pre>
 *   score = (patched − corrupted) / (clean − corrupted)
 * </pre>
 * 1: the patched run behaves as the clean one; 0: as the corrupted one. Optionally also the attribution-patching
 * estimate of every cell ({@link AttributionPatching}, GPT-2 only).
 */
public final class ActivationPatching {
    /** The residual stream entering each block and what attention and the MLP add to it: TransformerLens's usual grid. */
    public static final List<String> DEFAULT_HOOKS = List.of(HookPoint.everyLayer(HookPoint.Site.RESID_PRE),
            HookPoint.everyLayer(HookPoint.Site.ATTN_OUT), HookPoint.everyLayer(HookPoint.Site.MLP_OUT));

    /**
     * One experiment.
     * @param answer      the token the clean prompt should lead to
     * @param wrong       the token the corrupted prompt leads to (logit difference only; ignored for prob)
     * @param hooks       globs of the hooks patched per position (empty: no position grid)
     * @param heads       also patch each head's {@code attn.hook_z} over all positions
     * @param patching    run the real patched passes
     * @param attribution estimate every cell by attribution patching (GPT-2 only)
     */
    public record Setup(int[] clean, int[] corrupted, int answer, int wrong, Metric metric, Direction direction,
                        List<String> hooks, boolean heads, boolean patching, boolean attribution) {
        public Setup {
            clean = clean.clone();
            corrupted = corrupted.clone();
            hooks = List.copyOf(hooks);
            if (!patching && !attribution) throw new IllegalArgumentException("nothing to compute: neither patching nor attribution");
        }

        /** Denoising real patching of the default hooks, logit difference. */
        public static Setup of(int[] clean, int[] corrupted, int answer, int wrong) {
            return new Setup(clean, corrupted, answer, wrong, Metric.LOGIT_DIFF, Direction.DENOISE, DEFAULT_HOOKS, false,
                    true, false);
        }

        public Setup withHooks(List<String> h) {
            return new Setup(clean, corrupted, answer, wrong, metric, direction, h, heads, patching, attribution);
        }

        public Setup withHeads(boolean h) {
            return new Setup(clean, corrupted, answer, wrong, metric, direction, hooks, h, patching, attribution);
        }

        public Setup withMetric(Metric m) {
            return new Setup(clean, corrupted, answer, wrong, m, direction, hooks, heads, patching, attribution);
        }

        public Setup withDirection(Direction d) {
            return new Setup(clean, corrupted, answer, wrong, metric, d, hooks, heads, patching, attribution);
        }

        public Setup withMethods(boolean p, boolean a) {
            return new Setup(clean, corrupted, answer, wrong, metric, direction, hooks, heads, p, a);
        }
    }

    private ActivationPatching() {
    }

    /** Runs {@code setup} on {@code m} (its tokenizer, when it has one, labels the tokens of the report). */
    public static PatchingReport run(LoadedModel m, Setup setup) {
        check(m.config(), setup);
        LanguageModel model = m.model();
        List<String> hooks = setup.hooks().isEmpty() ? List.of() : PatchHooks.resolve(model.hookNames(), setup.hooks());
        if (hooks.isEmpty() && !setup.heads()) throw new MesascopeException("nothing to patch: no hooks and no heads");
        // fail before any pass
        if (setup.attribution()) TorchGpt2.requireGpt2Blocks(m.config());
        ModelConfig c = m.config();
        List<String> zHooks = new ArrayList<>();
        if (setup.heads()) for (int l = 0; l < c.nLayers(); l++) zHooks.add(HookPoint.z(l).name());
        Set<String> cached = new LinkedHashSet<>(hooks);
        cached.addAll(zHooks);

        ActivationCache clean = ActivationCache.run(model, setup.clean(), cached);
        ActivationCache corrupted = ActivationCache.run(model, setup.corrupted(), cached);
        int passes = 2;
        double cleanMetric = clean.metric(setup.metric(), setup.answer(), setup.wrong());
        double corruptedMetric = corrupted.metric(setup.metric(), setup.answer(), setup.wrong());
        double gap = cleanMetric - corruptedMetric;
        if (!(Math.abs(gap) > 1e-6 * Math.max(1, Math.max(Math.abs(cleanMetric), Math.abs(corruptedMetric))))) {
            throw new MesascopeException(String.format(java.util.Locale.ROOT, "the %s is the same on the clean and the"
                    + " corrupted prompt (%.6g and %.6g): there is no difference for a patch to restore; choose a corrupted"
                    + " prompt that changes the answer", setup.metric().label(), cleanMetric, corruptedMetric));
        }
        boolean denoise = setup.direction() == Direction.DENOISE;
        ActivationCache base = denoise ? corrupted : clean, source = denoise ? clean : corrupted;
        double baseMetric = denoise ? corruptedMetric : cleanMetric;

        List<List<Site>> patches = new ArrayList<>();
        int t = setup.clean().length;
        for (String h : hooks) for (int p = 0; p < t; p++) patches.add(List.of(Site.at(h, p)));
        int positionCells = patches.size();
        if (setup.heads()) {
            for (int l = 0; l < c.nLayers(); l++) for (int h = 0; h < c.nHeads(); h++) patches.add(List.of(Site.head(l, h)));
        }

        double[] patched = null;
        if (setup.patching()) {
            Patcher patcher = new Patcher(model, base.tokens(), source);
            patched = patcher.metrics(patches, setup.metric(), setup.answer(), setup.wrong());
            passes += (patches.size() + patcher.rowsPerPass() - 1) / patcher.rowsPerPass();
        }
        double[] estimated = null;
        if (setup.attribution()) {
            Set<String> gradientHooks = new LinkedHashSet<>(cached);
            Map<String, float[]> gradients = AttributionPatching.gradients(c, m.weights(), base.tokens(), setup.metric(),
                    setup.answer(), setup.wrong(), gradientHooks);
            estimated = new double[patches.size()];
            for (int i = 0; i < patches.size(); i++) {
                estimated[i] = baseMetric + AttributionPatching.estimate(patches.get(i), gradients, base, source);
            }
        }

        List<PatchingReport.Cell> cells = new ArrayList<>();
        List<PatchingReport.HeadCell> headCells = new ArrayList<>();
        for (int i = 0; i < patches.size(); i++) {
            Site s = patches.get(i).getFirst();
            Double value = patched == null ? null : patched[i];
            Double score = patched == null ? null : (patched[i] - corruptedMetric) / gap;
            Double attr = estimated == null ? null : estimated[i];
            Double attrScore = estimated == null ? null : (estimated[i] - corruptedMetric) / gap;
            if (i < positionCells) {
                cells.add(new PatchingReport.Cell(s.hook(), layerOf(s.hook()), s.position(), value, score, attr, attrScore));
            } else {
                headCells.add(new PatchingReport.HeadCell(layerOf(s.hook()), s.head(), value, score, attr, attrScore));
            }
        }
        Tokenizer tok = m.tokenizer();
        List<PatchingReport.PositionTokens> tokens = new ArrayList<>();
        for (int p = 0; p < t; p++) {
            tokens.add(new PatchingReport.PositionTokens(p, token(tok, setup.clean()[p]), token(tok, setup.corrupted()[p])));
        }
        return new PatchingReport(m.name(), setup.metric().label(), setup.direction().label(),
                token(tok, setup.answer()), setup.metric().needsWrongAnswer() ? token(tok, setup.wrong()) : null,
                cleanMetric, corruptedMetric, tokens, hooks, setup.heads() ? c.nLayers() : 0, setup.heads() ? c.nHeads() : 0,
                setup.patching(), setup.attribution(), passes, cells, headCells);
    }

    /**
     * Bad input, each with a one-line cause, before any forward pass ({@link #run} checks it too; callers that print
     * something before the work starts call it first).
     * @throws MesascopeException naming the problem
     */
    public static void check(ModelConfig c, Setup s) {
        if (s.clean().length == 0 || s.corrupted().length == 0) throw new MesascopeException("empty prompt: it has no tokens");
        if (s.clean().length != s.corrupted().length) {
            throw new MesascopeException("the clean prompt has " + s.clean().length + " tokens and the corrupted prompt "
                    + s.corrupted().length + ": patching pairs their positions, so they must have the same length");
        }
        checkIds(c, s.clean(), "clean prompt");
        checkIds(c, s.corrupted(), "corrupted prompt");
        checkId(c, s.answer(), "the answer");
        if (s.metric().needsWrongAnswer()) {
            checkId(c, s.wrong(), "the wrong answer");
            if (s.answer() == s.wrong()) {
                throw new MesascopeException("the answer and the wrong answer are the same token (id " + s.answer()
                        + "): their logit difference is always 0");
            }
        }
        if (Arrays.equals(s.clean(), s.corrupted())) {
            throw new MesascopeException("the clean and the corrupted prompt are the same tokens: there is nothing to patch");
        }
        if (s.clean().length > c.maxPositions()) {
            throw new MesascopeException("prompt of " + s.clean().length + " tokens is longer than the model's context of "
                    + c.maxPositions() + " positions");
        }
        if (c.vectors() != null) throw new MesascopeException("patching reads token logits; this model reads vectors");
    }

    private static void checkIds(ModelConfig c, int[] ids, String what) {
        for (int p = 0; p < ids.length; p++) {
            if (ids[p] < 0 || ids[p] >= c.vocabSize()) {
                throw new MesascopeException("token id " + ids[p] + " at position " + p + " of the " + what
                        + " is outside the vocabulary (ids 0.." + (c.vocabSize() - 1) + ")");
            }
        }
    }

    private static void checkId(ModelConfig c, int id, String what) {
        if (id < 0 || id >= c.vocabSize()) {
            throw new MesascopeException(what + " is token id " + id + ", outside the vocabulary (ids 0.." + (c.vocabSize() - 1) + ")");
        }
    }

    /** The layer of a {@code blocks.{l}.…} hook, null for hooks outside the blocks. */
    static Integer layerOf(String hook) {
        return HookPoint.parse(hook).filter(p -> p.layer() >= 0).map(HookPoint::layer).orElse(null);
    }

    private static PatchingReport.TokenRef token(Tokenizer tok, int id) {
        String text = tok == null || id >= tok.vocabSize() ? "<" + id + ">" : tok.tokenText(id);
        return new PatchingReport.TokenRef(id, text);
    }
}
