package org.mesascope.core.hooks;

import java.util.Optional;

/**
 * A place in the forward pass where a tensor passes, named as in TransformerLens ({@code blocks.3.hook_resid_post}).
 * The pass calls {@code x = hooks.at(HookPoint.residPost(l), x)}; listings, selections and messages use the same
 * value. This type is the only place a hook name is built or parsed.
 *
 * @param site  which kind of point
 * @param layer the block index for a point inside a block, -1 for the points before and after the blocks
 */
public record HookPoint(Site site, int layer) {

    /** What one value looks like: its shape (B: batch, T: positions) and whether axis 1 is the position. */
    public enum Shape {
        RESIDUAL("[B, T, d_model]", true),
        PATTERN("[B, heads, T_query, T_key]", false),
        HEADS("[B, T, heads, d_head]", true),
        LOGITS("[B, T, vocab]", true);

        private final String text;
        private final boolean perPosition;

        Shape(String text, boolean perPosition) {
            this.text = text;
            this.perPosition = perPosition;
        }

        @Override
        public String toString() {
            return text;
        }

        /** Whether axis 1 indexes positions ([B, T, ...]), so that a position's row can be read or replaced alone. */
        public boolean perPosition() {
            return perPosition;
        }
    }

    /** Every kind of point, in the order one pass reaches them. */
    public enum Site {
        EMBED("hook_embed", false, Shape.RESIDUAL),
        POS_EMBED("hook_pos_embed", false, Shape.RESIDUAL),
        RESID_PRE("hook_resid_pre", true, Shape.RESIDUAL),
        PATTERN("attn.hook_pattern", true, Shape.PATTERN),
        Z("attn.hook_z", true, Shape.HEADS),
        ATTN_OUT("hook_attn_out", true, Shape.RESIDUAL),
        RESID_MID("hook_resid_mid", true, Shape.RESIDUAL),
        MLP_OUT("hook_mlp_out", true, Shape.RESIDUAL),
        RESID_POST("hook_resid_post", true, Shape.RESIDUAL),
        LN_FINAL("ln_final.hook_normalized", false, Shape.RESIDUAL),
        LOGITS("logits", false, Shape.LOGITS);

        private final String suffix;
        private final boolean inBlock;
        private final Shape shape;

        Site(String suffix, boolean inBlock, Shape shape) {
            this.suffix = suffix;
            this.inBlock = inBlock;
            this.shape = shape;
        }

        /** The name inside a block ({@code hook_resid_pre}), or the whole name of a point outside the blocks. */
        public String suffix() {
            return suffix;
        }

        public boolean inBlock() {
            return inBlock;
        }
    }

    private static final String BLOCKS = "blocks.";
    /** Glob of every layer's resid_post: the default of the commands that read one vector per layer. */
    public static final String EVERY_RESID_POST = "blocks.*.hook_resid_post";
    /** Glob of every layer's resid_pre, resid_mid and resid_post. */
    public static final String EVERY_RESID = "blocks.*.hook_resid_*";
    /** Points of the first layers, made once: the pass asks for them at every layer of every pass. */
    private static final int CACHED_LAYERS = 256;
    private static final HookPoint[][] CACHE = new HookPoint[Site.values().length][CACHED_LAYERS];
    private static final HookPoint[] OUTSIDE = new HookPoint[Site.values().length];

    static {
        for (Site s : Site.values()) {
            if (s.inBlock) {
                for (int l = 0; l < CACHED_LAYERS; l++) CACHE[s.ordinal()][l] = new HookPoint(s, l);
            } else {
                OUTSIDE[s.ordinal()] = new HookPoint(s, -1);
            }
        }
    }

    public HookPoint {
        if (site.inBlock != (layer >= 0)) {
            throw new IllegalArgumentException(site + (site.inBlock ? " needs a layer" : " has no layer") + ", got " + layer);
        }
    }

    /** The point {@code site} of block {@code layer}, or the point {@code site} outside the blocks (layer -1). */
    public static HookPoint of(Site site, int layer) {
        if (!site.inBlock) {
            if (layer != -1) throw new IllegalArgumentException(site + " has no layer, got " + layer);
            return OUTSIDE[site.ordinal()];
        }
        if (layer >= 0 && layer < CACHED_LAYERS) return CACHE[site.ordinal()][layer];
        return new HookPoint(site, layer);
    }

    public static HookPoint embed() {
        return of(Site.EMBED, -1);
    }

    public static HookPoint posEmbed() {
        return of(Site.POS_EMBED, -1);
    }

    public static HookPoint residPre(int layer) {
        return of(Site.RESID_PRE, layer);
    }

    public static HookPoint pattern(int layer) {
        return of(Site.PATTERN, layer);
    }

    public static HookPoint z(int layer) {
        return of(Site.Z, layer);
    }

    public static HookPoint attnOut(int layer) {
        return of(Site.ATTN_OUT, layer);
    }

    public static HookPoint residMid(int layer) {
        return of(Site.RESID_MID, layer);
    }

    public static HookPoint mlpOut(int layer) {
        return of(Site.MLP_OUT, layer);
    }

    public static HookPoint residPost(int layer) {
        return of(Site.RESID_POST, layer);
    }

    public static HookPoint lnFinal() {
        return of(Site.LN_FINAL, -1);
    }

    public static HookPoint logits() {
        return of(Site.LOGITS, -1);
    }

    /** The TransformerLens name: {@code blocks.3.attn.hook_pattern}, {@code logits}. */
    public String name() {
        return site.inBlock ? BLOCKS + layer + "." + site.suffix : site.suffix;
    }

    public Shape shape() {
        return site.shape;
    }

    /** The name with the layer replaced by {@code placeholder}: {@code blocks.{l}.hook_mlp_out}; outside blocks, the name. */
    public String template(String placeholder) {
        return site.inBlock ? BLOCKS + placeholder + "." + site.suffix : site.suffix;
    }

    /** The same site in block {@code l}. */
    public HookPoint atLayer(int l) {
        return of(site, l);
    }

    /** The glob that matches {@code site} in every block ({@code blocks.*.hook_mlp_out}), or its one name outside them. */
    public static String everyLayer(Site site) {
        return of(site, site.inBlock ? 0 : -1).template("*");
    }

    /** The glob of every point in block {@code l}: {@code blocks.3.*}. */
    public static String everyPointOf(int l) {
        return BLOCKS + l + ".*";
    }

    /** The point called {@code name}, if it is one of the names above. */
    public static Optional<HookPoint> parse(String name) {
        for (Site s : Site.values()) {
            if (!s.inBlock) {
                if (name.equals(s.suffix)) return Optional.of(of(s, -1));
                continue;
            }
            if (!name.startsWith(BLOCKS) || !name.endsWith("." + s.suffix)) continue;
            String digits = name.substring(BLOCKS.length(), name.length() - s.suffix.length() - 1);
            if (digits.isEmpty() || digits.length() > 6 || !digits.chars().allMatch(Character::isDigit)) continue;
            if (digits.length() > 1 && digits.charAt(0) == '0') continue;
            return Optional.of(of(s, Integer.parseInt(digits)));
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return name();
    }
}
