package org.mesascope.probes.lens;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LensHtmlTest {
    private static final String EVIL = "<script>alert(1)</script>";

    @TempDir
    Path dir;

    @Test
    void modelTextIsEscapedEverywhere() throws IOException {
        Path file = dir.resolve("lens.html");
        LensHtml.write(Fixtures.report(EVIL, "m\"><img onerror=x>'"), file, "lens of " + EVIL);
        String html = Files.readString(file);

        assertFalse(html.contains("<script"), "token text reached the page unescaped");
        assertFalse(html.contains("<img"), "model name reached the page unescaped");
        assertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "input token in the header");
        assertTrue(html.contains("m&quot;&gt;&lt;img onerror=x&gt;&#39;"));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "no temporary file is left");
        }
    }

    @Test
    void selfContainedHeatmap() {
        String html = LensHtml.render(Fixtures.report("tok", "m"), "t");
        for (String external : List.of("http:", "https:", "src=", "href=", "url(", "<script", "@import")) {
            assertFalse(html.contains(external), "fetches or runs something: " + external);
        }
        assertEquals(4, html.split("<td style=", -1).length - 1, "2 rows × 2 positions");
        assertTrue(html.contains("background:#fde725"), "probability 1 is viridis' yellow end");
        assertTrue(html.contains("KL(final ‖ row) 1.5000 nats"), "tooltip details");
        assertTrue(html.contains("target id 7: p = 0.1200, rank 1"));
    }

    @Test
    void viridisStops() {
        assertEquals(0x440154, LensHtml.viridis(0));
        assertEquals(0x21918c, LensHtml.viridis(0.5));
        assertEquals(0xfde725, LensHtml.viridis(1));
        assertEquals(0xfde725, LensHtml.viridis(1.5), "clamped");
        // a quarter of the way from the 0.9 stop (bddf26) to the 1.0 stop (fde725)
        assertEquals(0xcde126, LensHtml.viridis(0.925));
    }
}
