package org.mesascope.core.hooks;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Hook names as users see them in messages: folded by layer, grouped into families, and the nearest name to a
 * mistyped one (the "did you mean" of every command that takes hook names).
 */
public final class HookNames {
    private HookNames() {
    }

    /** Hook names with the layer index folded: "hook_embed, blocks.{0..11}.hook_resid_pre, ..., logits". */
    public static String summarize(List<String> hooks) {
        Map<String, List<Integer>> byFamily = new LinkedHashMap<>();
        for (String h : hooks) {
            Optional<HookPoint> p = HookPoint.parse(h).filter(x -> x.layer() >= 0);
            if (p.isPresent()) {
                byFamily.computeIfAbsent(p.get().template("{}"), k -> new ArrayList<>()).add(p.get().layer());
            } else {
                byFamily.put(h, List.of());
            }
        }
        return byFamily.entrySet().stream().map(e -> {
            List<Integer> layers = e.getValue();
            if (layers.isEmpty()) return e.getKey();
            String range = layers.size() == 1 ? "" + layers.getFirst() : "{" + layers.getFirst() + ".." + layers.getLast() + "}";
            return e.getKey().replace("{}", range);
        }).collect(Collectors.joining(", "));
    }

    /** The layer of a {@code blocks.{l}.X} hook, or -1. */
    public static int layer(String hook) {
        return HookPoint.parse(hook).map(HookPoint::layer).orElse(-1);
    }

    /** {@code blocks.{l}.X} for a block hook, else the hook itself. */
    public static String template(String hook) {
        return HookPoint.parse(hook).map(p -> p.template("{l}")).orElse(hook);
    }

    /** Hook names with the layer index replaced by '*' ({@code blocks.*.hook_mlp_out}), each once, in order. */
    public static List<String> families(List<String> hooks) {
        Set<String> out = new LinkedHashSet<>();
        for (String h : hooks) out.add(HookPoint.parse(h).map(p -> p.template("*")).orElse(h));
        return List.copyOf(out);
    }

    /** The candidate nearest to {@code wanted} by edit distance, the earlier one on ties. */
    public static String nearest(String wanted, List<String> candidates) {
        String best = candidates.getFirst();
        int bestDistance = Integer.MAX_VALUE;
        for (String c : candidates) {
            int d = editDistance(wanted, c);
            if (d < bestDistance) {
                best = c;
                bestDistance = d;
            }
        }
        return best;
    }

    /** Levenshtein distance: insertions, deletions and substitutions each cost 1. */
    public static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitute = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(substitute, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
