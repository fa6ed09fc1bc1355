package org.mesascope.probes.lens;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LensTableTest {
    @Test
    void oneLinePerRowWithTopTokenProbabilityAndMeanKl() {
        String table = LensTable.render(Fixtures.report("x", "tiny"));
        String[] lines = table.split("\n");
        assertEquals(1 + 2 + 2, lines.length, "title, two header lines, two rows:\n" + table);
        assertTrue(lines[0].contains("tiny"));
        assertTrue(lines[3].startsWith("blocks.0.hook_resid_pre"), lines[3]);
        assertTrue(lines[3].contains("x 0.12") && lines[3].contains(". 0.50"), lines[3]);
        assertTrue(lines[3].endsWith("1.900"), "mean KL of 2.3 and 1.5: " + lines[3]);
        assertTrue(lines[4].endsWith("0.000"), lines[4]);
    }

    @Test
    void controlCharactersAreShownEscapedAndLongTokensCut() {
        String table = LensTable.render(Fixtures.report("a\nb\tc\u001b[31m", "m"));
        assertEquals(5, table.split("\n").length, "a newline in a token must not break the table:\n" + table);
        assertTrue(table.contains("a\\nb\\tc\\u…"), table);
        assertFalse(table.contains("\u001b"), "no raw escape character reaches the terminal");
        assertTrue(LensTable.render(Fixtures.report(" the", "m")).contains("␣the 0.12"), "a leading space is shown");
    }

    @Test
    void showsTheLastPositionsWhenLimited() {
        String table = LensTable.render(Fixtures.report("x", "m"), 1);
        String[] lines = table.split("\n");
        assertTrue(lines[0].contains("positions 1..1 of 2"), lines[0]);
        assertFalse(lines[3].contains("x 0.12"), "position 0 is left out: " + lines[3]);
        assertTrue(lines[3].contains(". 0.50") && lines[3].endsWith("1.900"), "mean KL still over all positions: " + lines[3]);
    }
}
