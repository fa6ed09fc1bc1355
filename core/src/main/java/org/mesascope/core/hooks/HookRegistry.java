package org.mesascope.core.hooks;

import org.mesascope.core.tensor.Batch;
import org.mesascope.core.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Subscriptions by glob pattern ({@code blocks.*.hook_resid_post}, {@code blocks.3.*}, {@code *}).
 * {@code *} matches any run of characters, including dots. For each hook the interventions run first, in the order
 * they were added, each seeing the previous one's result; then every sink sees the final value once.
 */
public final class HookRegistry {
    private record Subscription(Pattern pattern, String glob, ActivationSink sink, Intervention intervention) {
    }

    private record Matched(List<Intervention> interventions, List<ActivationSink> sinks) {
        boolean empty() {
            return interventions.isEmpty() && sinks.isEmpty();
        }
    }

    private final List<Subscription> subscriptions = new ArrayList<>();
    private final Map<HookPoint, Matched> byHook = new ConcurrentHashMap<>();

    public HookRegistry addSink(String glob, ActivationSink sink) {
        subscriptions.add(new Subscription(globToRegex(glob), glob, sink, null));
        byHook.clear();
        return this;
    }

    public HookRegistry addIntervention(String glob, Intervention intervention) {
        subscriptions.add(new Subscription(globToRegex(glob), glob, null, intervention));
        byHook.clear();
        return this;
    }

    public boolean isEmpty() {
        return subscriptions.isEmpty();
    }

    public static Pattern globToRegex(String glob) {
        StringBuilder sb = new StringBuilder();
        for (String part : glob.split("\\*", -1)) {
            if (!sb.isEmpty()) sb.append(".*");
            sb.append(Pattern.quote(part));
        }
        return Pattern.compile(sb.toString());
    }

    public static boolean matches(String glob, String hook) {
        return globToRegex(glob).matcher(hook).matches();
    }

    private Matched matched(HookPoint point) {
        return byHook.computeIfAbsent(point, p -> {
            String h = p.name();
            List<Intervention> ivs = new ArrayList<>();
            List<ActivationSink> sinks = new ArrayList<>();
            for (Subscription s : subscriptions) {
                if (!s.pattern.matcher(h).matches()) continue;
                if (s.intervention != null) ivs.add(s.intervention);
                else sinks.add(s.sink);
            }
            return new Matched(List.copyOf(ivs), List.copyOf(sinks));
        });
    }

    /** The hooks of one forward pass over {@code batch}. */
    public Hooks bind(Batch batch) {
        return new Hooks() {
            @Override
            public Tensor at(HookPoint point, Tensor value) {
                Matched m = matched(point);
                if (m.empty()) return value;
                Tensor x = value;
                for (Intervention iv : m.interventions) {
                    Tensor y = iv.apply(point, x, batch);
                    if (y == null) throw new IllegalStateException("intervention on " + point + " returned null");
                    if (!y.sameShape(x)) {
                        throw new IllegalArgumentException("intervention on " + point + " returned shape "
                                + java.util.Arrays.toString(y.shape()) + ", expected " + java.util.Arrays.toString(x.shape()));
                    }
                    x = y;
                }
                for (ActivationSink s : m.sinks) s.accept(point, x, batch);
                return x;
            }

            @Override
            public boolean wants(HookPoint point) {
                return !matched(point).empty();
            }

            @Override
            public boolean intervenes(HookPoint point) {
                return !matched(point).interventions.isEmpty();
            }
        };
    }
}
