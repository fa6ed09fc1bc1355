package org.mesascope.probes.steer;

import org.mesascope.core.hooks.HookPoint;
import org.mesascope.core.MesascopeException;
import org.mesascope.core.hooks.HookNames;
import org.mesascope.core.model.LanguageModel;

import java.util.List;

/** Which hooks a vector can be added at, and the one-line errors for the rest. */
public final class SteerHooks {
    private SteerHooks() {
    }

    /**
     * The model's hooks of shape [T, d_model], where a steering vector can be added: the embeddings, every
     * residual-stream hook, the attention and MLP outputs and the final norm's output (not attention patterns, not
     * logits).
     */
    public static List<String> steerable(LanguageModel model) {
        return model.hookNames().stream()
                .filter(h -> HookPoint.parse(h).map(p -> p.shape().perPosition() && p.site() != HookPoint.Site.LOGITS).orElse(false))
                .toList();
    }

    /** Fails with one line, and the closest name, unless {@code hook} is a steerable hook of {@code model}. */
    public static void check(LanguageModel model, String hook) {
        List<String> names = steerable(model);
        if (names.contains(hook)) return;
        if (model.hookNames().contains(hook)) {
            throw new MesascopeException("hook " + hook + " is not [positions, d_model]: steer a residual-stream hook"
                    + " such as " + HookPoint.residPre(model.config().nLayers() / 2));
        }
        int layers = model.config().nLayers();
        HookPoint point = HookPoint.parse(hook).orElse(null);
        if (point != null && point.layer() >= layers && names.contains(point.atLayer(0).name())) {
            // a layer past the last one: the same hook in the last layer is the likeliest meaning
            throw new MesascopeException("unknown hook '" + hook + "': this model has layers 0.." + (layers - 1)
                    + "; did you mean " + point.atLayer(layers - 1) + "?");
        }
        throw new MesascopeException("unknown hook '" + hook + "' for this " + layers
                + "-layer model; did you mean " + HookNames.nearest(hook, names) + "?");
    }

    /** Fails with one line unless {@code vector} fits the model's residual stream and names a steerable hook. */
    public static void check(LanguageModel model, SteeringVector vector) {
        check(model, vector.hook());
        int d = model.config().dModel();
        if (vector.width() != d) {
            throw new MesascopeException("the steering vector has width " + vector.width()
                    + " but the model's residual stream has d_model " + d);
        }
    }

}
