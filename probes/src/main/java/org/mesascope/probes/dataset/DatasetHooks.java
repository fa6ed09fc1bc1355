package org.mesascope.probes.dataset;

import org.mesascope.core.hooks.HookPoint;
import org.mesascope.core.MesascopeException;
import org.mesascope.core.hooks.HookNames;
import org.mesascope.core.hooks.HookRegistry;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Hooks chosen by glob ({@code blocks.*.hook_resid_post}, {@code blocks.3.*}), for activation rows: every hook whose
 * value has one vector per token position. Attention patterns ([heads, T, T]) have none and are left out.
 */
public final class DatasetHooks {
    private DatasetHooks() {
    }

    /** Whether {@code hook} has one vector per token position (all but the attention patterns). */
    public static boolean perPosition(String hook) {
        return HookPoint.parse(hook).map(p -> p.shape().perPosition()).orElse(true);
    }

    /**
     * The hooks of {@code available} (in its order) that match one of {@code globs} and have a vector per position.
     * A glob that matches nothing fails with a did-you-mean; one that matches only attention patterns says why.
     *
     * @param of what the hooks belong to, for messages ("this model", "the activations in DIR")
     */
    public static List<String> select(List<String> globs, List<String> available, String of) {
        if (globs.isEmpty()) throw new MesascopeException("no --hooks given");
        Set<String> chosen = new LinkedHashSet<>();
        for (String glob : globs) {
            List<String> matched = available.stream().filter(h -> HookRegistry.matches(glob, h)).toList();
            if (matched.isEmpty()) {
                String guess = suggestion(glob, available);
                throw new MesascopeException("--hooks '" + glob + "' matches no hook of " + of
                        + (guess == null ? "" : "; did you mean '" + guess + "'?") + " (hooks: " + HookNames.summarize(available) + ")");
            }
            List<String> vectors = matched.stream().filter(DatasetHooks::perPosition).toList();
            if (vectors.isEmpty()) {
                throw new MesascopeException("--hooks '" + glob + "' selects only attention patterns, which have no"
                        + " vector per token position; choose e.g. " + HookPoint.EVERY_RESID_POST);
            }
            chosen.addAll(vectors);
        }
        List<String> ordered = new ArrayList<>();
        for (String h : available) if (chosen.contains(h)) ordered.add(h);
        return ordered;
    }

    /**
     * The hook name or family glob nearest to {@code glob} by edit distance: the families ({@code blocks.*.X}) when
     * the glob has a '*', the hook names otherwise. Null when nothing is close (more than half the glob differs).
     */
    static String suggestion(String glob, List<String> available) {
        Set<String> candidates = new LinkedHashSet<>();
        for (String h : available) {
            HookPoint p = HookPoint.parse(h).filter(x -> x.layer() >= 0).orElse(null);
            if (glob.contains("*")) {
                candidates.add(p != null ? p.template("*") : h);
                if (p != null && glob.startsWith(HookPoint.everyPointOf(p.layer()).replace("*", ""))) {
                    candidates.add(HookPoint.everyPointOf(p.layer()));
                }
            } else {
                candidates.add(h);
            }
        }
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        String g = glob.toLowerCase(Locale.ROOT);
        for (String c : candidates) {
            int d = HookNames.editDistance(g, c.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                bestDistance = d;
                best = c;
            }
        }
        return bestDistance <= Math.max(2, glob.length() / 2) ? best : null;
    }

}
