package org.mesascope.probes.patch;

import org.mesascope.core.hooks.HookPoint;
import org.mesascope.core.MesascopeException;
import org.mesascope.core.hooks.HookNames;
import org.mesascope.core.hooks.HookRegistry;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which hooks a patching grid covers: the model's hook points matched by the user's globs, in the order the forward
 * pass reaches them. Only hooks with one vector per position can be patched per position; the attention pattern
 * ([heads, T, T]) and the logits (patching the last position's logits is the clean answer by construction) cannot.
 */
public final class PatchHooks {
    private PatchHooks() {
    }

    /** Whether {@code hook} holds one vector per position, so that a position can be patched. */
    public static boolean patchable(String hook) {
        return HookPoint.parse(hook).map(p -> p.shape().perPosition() && p.site() != HookPoint.Site.LOGITS).orElse(false);
    }

    /**
     * The patchable hooks among {@code modelHooks} that match one of {@code globs}, in the model's order.
     * @throws MesascopeException when a glob matches no hook point (naming the nearest one) or only unpatchable ones
     */
    public static List<String> resolve(List<String> modelHooks, List<String> globs) {
        if (globs.isEmpty()) throw new MesascopeException("no hooks to patch: give at least one hook glob");
        Set<String> chosen = new LinkedHashSet<>();
        for (String glob : globs) {
            List<String> matched = modelHooks.stream().filter(h -> HookRegistry.matches(glob, h)).toList();
            if (matched.isEmpty()) {
                throw new MesascopeException("hooks '" + glob + "' match no hook point of this model; did you mean '"
                        + nearest(glob, modelHooks) + "'?");
            }
            List<String> usable = matched.stream().filter(PatchHooks::patchable).toList();
            if (usable.isEmpty()) {
                throw new MesascopeException("hooks '" + glob + "' select only " + String.join(", ", HookNames.families(matched))
                        + ", which cannot be patched per position (patch " + HookPoint.Site.RESID_PRE.suffix() + ", "
                        + HookPoint.Site.ATTN_OUT.suffix() + ", " + HookPoint.Site.MLP_OUT.suffix() + ", "
                        + HookPoint.Site.Z.suffix() + ", ...; per head: --heads)");
            }
            chosen.addAll(usable);
        }
        List<String> ordered = new ArrayList<>();
        for (String h : modelHooks) if (chosen.contains(h)) ordered.add(h);
        return ordered;
    }

    /**
     * The hook name or layer glob ({@code blocks.*.hook_mlp_out}) closest to {@code glob} by edit distance: what the
     * user probably meant. A glob is compared with the layer-generic names, a plain name with the exact ones first.
     */
    static String nearest(String glob, List<String> modelHooks) {
        // a plain name is compared with the exact names first (a tie goes to the earlier candidate)
        List<String> candidates = new ArrayList<>(glob.contains("*") ? List.of() : modelHooks);
        candidates.addAll(HookNames.families(modelHooks));
        String best = candidates.getFirst();
        int bestDistance = Integer.MAX_VALUE;
        for (String c : candidates) {
            int dist = HookNames.editDistance(glob, c);
            if (dist < bestDistance) {
                bestDistance = dist;
                best = c;
            }
        }
        return best;
    }

}
