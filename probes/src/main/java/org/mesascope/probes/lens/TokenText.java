package org.mesascope.probes.lens;

import org.mesascope.core.tokenizer.Tokenizer;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/** Token ids to the text reports show, and that text made safe to print in one line. */
final class TokenText {
    private final Tokenizer tokenizer;
    /** Top-k lists repeat the same few ids across rows and positions; decoding each once is enough. */
    private final Map<Integer, String> cache = new HashMap<>();

    TokenText(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /**
     * The tokenizer's text for {@code id}, or {@code <id>} without a tokenizer or for ids past its vocabulary
     * (models pad their embedding matrix beyond the tokenizer, e.g. Pythia's 50304 rows for 50277 tokens).
     */
    String of(int id) {
        return cache.computeIfAbsent(id, i ->
                tokenizer == null || i >= tokenizer.vocabSize() ? "<" + i + ">" : tokenizer.tokenText(i));
    }

    /**
     * {@code text} on one line: backslash, newline, carriage return and tab as backslash escapes, other control
     * characters as a backslash, "u" and four hex digits (an escape sequence inside a token must not drive the
     * terminal).
     */
    static String visible(String text) {
        StringBuilder sb = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (Character.isISOControl(c)) sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.toString();
    }

    /**
     * {@code text} for a table or heatmap cell: {@link #visible}, spaces as "␣" (GPT-2-style tokens begin with one,
     * and a space-only token would otherwise be an empty cell), at most {@code max} code points.
     */
    static String cell(String text, int max) {
        return truncate(visible(text).replace(' ', '␣'), max);
    }

    /** At most {@code max} code points (≥ 1), the last replaced by "…" when cut; surrogate pairs stay whole. */
    static String truncate(String text, int max) {
        if (text.codePointCount(0, text.length()) <= max) return text;
        return text.substring(0, text.offsetByCodePoints(0, max - 1)) + "…";
    }
}
