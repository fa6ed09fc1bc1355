package org.mesascope.probes.patch;

import org.mesascope.core.hooks.HookPoint;
/**
 * One place a patch writes: hook {@code hook}, position {@code position} (or {@link #ALL} positions), and for
 * {@code attn.hook_z} one head {@code head} (or {@link #ALL} heads, the whole vector).
 */
public record Site(String hook, int position, int head) {
    public static final int ALL = -1;

    public Site {
        if (position < ALL || head < ALL) throw new IllegalArgumentException("bad site " + hook + " " + position + " " + head);
    }

    /** The whole vector of {@code hook} at one position. */
    public static Site at(String hook, int position) {
        return new Site(hook, position, ALL);
    }

    /** Every position of {@code hook}. */
    public static Site everywhere(String hook) {
        return new Site(hook, ALL, ALL);
    }

    /** Head {@code head} of {@code blocks.{layer}.attn.hook_z} at every position. */
    public static Site head(int layer, int head) {
        return new Site(HookPoint.z(layer).name(), ALL, head);
    }
}
