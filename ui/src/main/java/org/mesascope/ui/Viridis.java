package org.mesascope.ui;

import javafx.scene.paint.Color;

/**
 * The viridis colour map (van der Walt &amp; Smith), readable by colour-blind users and monotone in lightness; the
 * same 11 stops as the probes library's HTML heatmaps, interpolated into a 256-entry table so a heatmap redraw looks
 * colours up instead of computing them.
 */
public final class Viridis {
    private static final int[] STOPS = {
            0x440154, 0x482475, 0x414487, 0x355f8d, 0x2a788e, 0x21918c,
            0x22a884, 0x44bf70, 0x7ad151, 0xbddf26, 0xfde725};
    private static final Color[] TABLE = new Color[256];
    private static final int[] ARGB = new int[256];
    /** Per entry: black text contrasts more than white (WCAG relative luminance above 0.179). */
    private static final boolean[] DARK_TEXT = new boolean[256];

    static {
        for (int i = 0; i < 256; i++) {
            double pos = i / 255.0 * (STOPS.length - 1);
            int s = Math.min((int) pos, STOPS.length - 2);
            double f = pos - s;
            double[] rgb = new double[3];
            double luminance = 0;
            double[] weights = {0.2126, 0.7152, 0.0722};
            for (int k = 0; k < 3; k++) {
                int shift = 16 - 8 * k;
                double a = (STOPS[s] >> shift) & 0xff, b = (STOPS[s + 1] >> shift) & 0xff;
                rgb[k] = (a + f * (b - a)) / 255.0;
                double c = rgb[k];
                luminance += weights[k] * (c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4));
            }
            TABLE[i] = Color.color(rgb[0], rgb[1], rgb[2]);
            ARGB[i] = 0xff000000 | (int) Math.round(rgb[0] * 255) << 16 | (int) Math.round(rgb[1] * 255) << 8
                    | (int) Math.round(rgb[2] * 255);
            DARK_TEXT[i] = luminance > 0.179;
        }
    }

    private Viridis() {
    }

    static int index(double x) {
        if (Double.isNaN(x)) return 0;
        return (int) Math.round(Math.clamp(x, 0.0, 1.0) * 255);
    }

    /** The colour of {@code x} in [0, 1] (clamped; NaN as 0). */
    public static Color color(double x) {
        return TABLE[index(x)];
    }

    /** {@link #color} as opaque 0xAARRGGBB, for pixel buffers. */
    public static int argb(double x) {
        return ARGB[index(x)];
    }

    /** Black or white, whichever reads better on {@link #color}(x). */
    public static Color textOn(double x) {
        return DARK_TEXT[index(x)] ? Color.BLACK : Color.WHITE;
    }
}
