package org.mesascope.ui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.mesascope.core.MesascopeException;
import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.model.Generation;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.tokenizer.Tokenizer;
import org.mesascope.probes.steer.SteerHooks;
import org.mesascope.probes.steer.Steering;
import org.mesascope.probes.steer.SteeringVector;
import org.mesascope.probes.steer.SteeringVectors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.DoubleConsumer;

/**
 * The interventions view's work: an ActAdd steering vector from the probes library ({@link SteeringVectors#actAdd}),
 * then greedy continuations and lens runs without and with it. Generation is core's {@link Generation#greedy} under
 * the steering's own hook registry, as the probes library's {@code SteeredRuns.generate} runs it, with the cancelling
 * sink added.
 */
public final class Interventions {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private Interventions() {
    }

    /**
     * What the user asked for: ActAdd of {@code plus} − {@code minus} at {@code hook}, or the vector saved in
     * {@code vectorFile} (by {@code mesascope steer --save-vector}; null for ActAdd), times {@code coefficient}.
     */
    public record Request(String hook, String plus, String minus, Path vectorFile, double coefficient, int maxNew) {
    }

    /** Continuations and lens runs without (coefficient 0) and with the steering. */
    public record Result(Request request, String steeringText, String unsteeredText, String steeredText,
                         PromptRun unsteeredRun, PromptRun steeredRun) {
    }

    /** The saved vector (moved to the chosen hook), or the ActAdd vector (padded with the tokenizer's one-token space, as the CLI does). */
    public static SteeringVector vector(LoadedModel m, Request r) {
        if (r.vectorFile() != null) {
            SteeringVector v = SteeringVector.load(r.vectorFile(), r.hook());
            return r.hook() == null || r.hook().equals(v.hook()) ? v : v.atHook(r.hook());
        }
        SteerHooks.check(m.model(), r.hook());
        Tokenizer tok = m.tokenizer();
        if (tok == null) throw new MesascopeException(m.name() + " has no tokenizer, which steering by text needs");
        int[] plus = tok.encode(r.plus()), minus = tok.encode(r.minus());
        if (plus.length == 0 || minus.length == 0) throw new MesascopeException("the plus and minus texts must both have tokens");
        int pad = 0;
        if (plus.length != minus.length) {
            int[] space = tok.encode(" ");
            if (space.length != 1) throw new MesascopeException("plus and minus have " + plus.length + " and "
                    + minus.length + " tokens and the tokenizer has no one-token space to pad the shorter with");
            pad = space[0];
        }
        return SteeringVectors.actAdd(m.model(), r.hook(), plus, minus, pad,
                SteeringVector.Provenance.actAdd(m.name(), r.plus(), r.minus()));
    }

    public static Result run(LoadedModel m, int[] prompt, Request r, Cancellation cancellation, DoubleConsumer progress) {
        SteeringVector v = vector(m, r);
        SteerHooks.check(m.model(), v);
        // where the vector is added, as `mesascope steer` places it by default: ActAdd's front for vectors made by ActAdd
        // or with a row per position, CAA's positions after the prompt for a single direction
        Steering steering = v.positions() > 1 || v.provenance().method().equals("actadd") ? Steering.actAdd(v, r.coefficient())
                : Steering.caa(v, r.coefficient(), prompt.length);
        steering.checkPrompt(prompt.length);
        int maxNew = Math.min(r.maxNew(), m.config().maxPositions() - prompt.length);
        if (maxNew < 1) throw new MesascopeException("the prompt fills the model's context: nothing left to generate");
        int[] stop = eosTokenIds(m.dir());
        int[] before = Generation.greedy(m.model(), prompt, maxNew, cancellation.watch(new HookRegistry(), h -> {}), stop);
        progress.accept(0.25);
        int[] after = Generation.greedy(m.model(), prompt, maxNew, cancellation.watch(steering.registry(), h -> {}), stop);
        progress.accept(0.5);
        PromptRun lensBefore = PromptRunner.run(m, prompt, null, "logit lens", 5, null, null, new HookRegistry(), cancellation, p -> {});
        progress.accept(0.75);
        PromptRun lensAfter = PromptRunner.run(m, prompt, null, "logit lens, steered", 5, null, null, steering.registry(), cancellation, p -> {});
        return new Result(r, steering.describe(), text(m, prompt, before), text(m, prompt, after), lensBefore, lensAfter);
    }

    private static String text(LoadedModel m, int[] prompt, int[] generated) {
        if (m.tokenizer() == null) {
            StringBuilder sb = new StringBuilder();
            for (int id : generated) sb.append(sb.isEmpty() ? "" : ",").append(id);
            return sb.toString();
        }
        return m.tokenizer().decodeContinuation(prompt, generated);
    }

    /**
     * The end-of-sequence ids, as the CLI's {@code generate} reads them: {@code eos_token_id} of
     * generation_config.json, else of config.json; none when neither names any.
     */
    static int[] eosTokenIds(Path dir) {
        for (String name : new String[]{"generation_config.json", "config.json"}) {
            Path file = dir.resolve(name);
            if (!Files.isRegularFile(file)) continue;
            JsonNode eos;
            try {
                eos = JSON.readTree(file.toFile()).path("eos_token_id");
            } catch (IOException e) {
                throw new MesascopeException("cannot read " + file + ": " + e.getMessage(), e);
            }
            if (eos.isInt()) return new int[]{eos.intValue()};
            if (eos.isArray()) {
                int[] out = new int[eos.size()];
                for (int i = 0; i < out.length; i++) out[i] = eos.get(i).asInt();
                return out;
            }
        }
        return new int[0];
    }
}
