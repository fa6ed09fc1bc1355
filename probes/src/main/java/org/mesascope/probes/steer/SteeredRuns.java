package org.mesascope.probes.steer;

import org.mesascope.core.hooks.HookPoint;
import org.mesascope.core.MesascopeException;
import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.model.Generation;
import org.mesascope.core.model.LanguageModel;
import org.mesascope.core.tokenizer.Tokenizer;
import org.mesascope.probes.lens.Lens;
import org.mesascope.probes.lens.LensReport;
import org.mesascope.probes.lens.LensRunner;
import org.mesascope.probes.lens.LogitLens;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/** Generation and lens runs under a {@link Steering}, and the coefficient sweep of a {@link SteeringReport}. */
public final class SteeredRuns {
    private SteeredRuns() {
    }

    /**
     * Greedy continuation with the KV cache (core's {@link Generation}), the steering added in every pass: the prompt
     * pass, then one pass per new token, each adding at the absolute positions it computes.
     *
     * @param steering null for the unsteered run
     */
    public static int[] generate(LanguageModel model, int[] prompt, int maxNew, Steering steering, int... stop) {
        HookRegistry hooks = new HookRegistry();
        if (steering != null) {
            SteerHooks.check(model, steering.vector());
            steering.checkPrompt(prompt.length);
            hooks = steering.registry();
        }
        return Generation.greedy(model, prompt, maxNew, hooks, stop);
    }

    /** A lens over {@code tokens} with the steering in the pass: the rows are the steered residuals. */
    public static LensReport lens(Lens lens, LanguageModel model, Tokenizer tokenizer, String modelName, int[] tokens,
                                  int topK, int[] targets, Steering steering) {
        SteerHooks.check(model, steering.vector());
        steering.checkPrompt(tokens.length);
        return LensRunner.run(lens, model, tokenizer, modelName, tokens, topK, targets, steering.registry());
    }

    /** What {@link #report} needs beside the model and the steering. */
    public record SweepConfig(String modelName, String promptText, int maxNew, int[] stop, List<Double> coefficients,
                              int target) {
        /** No target given: score the first token the steered run generates. */
        public static final int AUTO_TARGET = -1;
    }

    /**
     * Runs the sweep: for 0, {@code steering.coefficient()} and every coefficient of {@code config}, a greedy
     * continuation and a logit-lens pass over the prompt, both steered with that coefficient.
     */
    public static SteeringReport report(LanguageModel model, Tokenizer tokenizer, int[] prompt, Steering steering,
                                        SweepConfig config) {
        SteerHooks.check(model, steering.vector());
        steering.checkPrompt(prompt.length);
        int vocab = model.config().vocabSize();
        TreeSet<Double> coefficients = new TreeSet<>();
        // + 0.0 turns a -0.0 into 0.0: the set compares them as different numbers
        for (double c : config.coefficients()) coefficients.add(c + 0.0);
        coefficients.add(0.0);
        coefficients.add(steering.coefficient() + 0.0);

        int[] steeredIds = generate(model, prompt, config.maxNew(), steering, config.stop());
        int target = config.target();
        if (target == SweepConfig.AUTO_TARGET) {
            if (steeredIds.length == 0) throw new MesascopeException("no token generated to score");
            target = steeredIds[0];
        }
        if (target < 0 || target >= vocab) {
            throw new MesascopeException("target id " + target + " is outside the vocabulary (ids 0.." + (vocab - 1) + ")");
        }
        int last = prompt.length - 1;
        int[] targets = new int[prompt.length];
        Arrays.fill(targets, LensRunner.NO_TARGET);
        targets[last] = target;

        Lens logitLens = new LogitLens(model);
        List<String> lensRows = LensRunner.rowHooks(model.config().nLayers());
        // coefficient 0 first: every other one's KL is measured from its output distribution
        List<Double> order = new ArrayList<>(coefficients);
        order.remove(0.0);
        order.addFirst(0.0);
        double[] unsteeredLogProbs = null;
        Map<Double, SteeringReport.Sweep> byCoefficient = new TreeMap<>();
        for (double c : order) {
            Steering s = steering.withCoefficient(c);
            int[] ids = c == steering.coefficient() + 0.0 ? steeredIds : generate(model, prompt, config.maxNew(), s, config.stop());
            float[][] lastLogits = new float[1][];
            HookRegistry hooks = s.registry().addSink(HookPoint.logits().name(), (h, value, batch) ->
                    lastLogits[0] = Arrays.copyOfRange(value.data(), last * vocab, (last + 1) * vocab));
            LensReport lens = LensRunner.run(logitLens, model, tokenizer, config.modelName(), prompt, 1, targets, hooks);
            double[] logProbs = logSoftmax(lastLogits[0]);
            if (c == 0) unsteeredLogProbs = logProbs;
            int top = 0;
            for (int i = 1; i < vocab; i++) if (logProbs[i] > logProbs[top]) top = i;
            int rank = 1;
            for (int i = 0; i < vocab; i++) if (logProbs[i] > logProbs[target]) rank++;
            double[] lensProb = new double[lensRows.size()];
            for (int r = 0; r < lensProb.length; r++) lensProb[r] = lens.rows().get(r).positions().get(last).target().prob();
            byCoefficient.put(c, new SteeringReport.Sweep(c, continuation(tokenizer, prompt, c, ids), token(tokenizer, top),
                    Math.exp(logProbs[top]), Math.exp(logProbs[target]), rank, kl(logProbs, unsteeredLogProbs), lensProb));
        }
        List<SteeringReport.Sweep> done = List.copyOf(byCoefficient.values());

        List<SteeringReport.Token> promptTokens = new ArrayList<>();
        for (int id : prompt) promptTokens.add(token(tokenizer, id));
        SteeringVector v = steering.vector();
        double norm = 0;
        for (int r = 0; r < v.positions(); r++) norm = Math.max(norm, v.norm(r));
        SteeringReport.Continuation unsteered = byCoefficient.get(0.0).continuation();
        SteeringReport.Continuation steered = byCoefficient.get(steering.coefficient() + 0.0).continuation();
        return new SteeringReport(config.modelName(), config.promptText(), List.copyOf(promptTokens), v.hook(),
                v.provenance(), v.positions(), norm, steering.placement().describe(), steering.coefficient(),
                token(tokenizer, target), unsteered, steered, List.copyOf(lensRows), done);
    }

    private static SteeringReport.Continuation continuation(Tokenizer tokenizer, int[] prompt, double c, int[] ids) {
        String text = tokenizer == null ? joined(ids) : tokenizer.decodeContinuation(prompt, ids);
        return new SteeringReport.Continuation(c, ids, text);
    }

    private static SteeringReport.Token token(Tokenizer tokenizer, int id) {
        return new SteeringReport.Token(id, tokenizer == null || id >= tokenizer.vocabSize() ? "<" + id + ">"
                : tokenizer.tokenText(id));
    }

    private static String joined(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) sb.append(sb.isEmpty() ? "" : ",").append(id);
        return sb.toString();
    }

    /** log softmax in double, around the maximum so that no exp overflows; a non-finite logit is an error. */
    static double[] logSoftmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < logits.length; i++) {
            if (!Float.isFinite(logits[i])) throw new MesascopeException("logit of token " + i + " is " + logits[i]
                    + " under steering (the coefficient may be too large)");
            max = Math.max(max, logits[i]);
        }
        double sum = 0;
        for (float x : logits) sum += Math.exp(x - max);
        double logZ = max + Math.log(sum);
        double[] out = new double[logits.length];
        for (int i = 0; i < out.length; i++) out[i] = logits[i] - logZ;
        return out;
    }

    /** KL(p ‖ q) = Σ p (log p − log q) in nats, from log-probabilities; clamped at 0 against rounding. */
    static double kl(double[] logP, double[] logQ) {
        double kl = 0;
        for (int i = 0; i < logP.length; i++) kl += Math.exp(logP[i]) * (logP[i] - logQ[i]);
        return Math.max(0, kl);
    }
}
