package org.mesascope.probes.lens;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/**
 * A lens over one prompt: L+1 rows (the residual entering each block, then the last block's output), each with,
 * per position, the top-k tokens, the entropy (nats), KL(final ‖ row) (nats) and the target's probability and rank.
 * Serializes to the JSON of DESIGN.md ("Lens rows", "lens --format json").
 */
public record LensReport(String model, List<TokenInfo> tokens, List<Row> rows) {

    public record TokenInfo(int id, String text) {
    }

    public record Row(String hook, List<Position> positions) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Position(List<Top> top, double entropy, @JsonProperty("kl_to_final") double klToFinal, Target target) {
    }

    public record Top(int id, String text, double prob) {
    }

    /** The token the lens is scored against (by default the next input token); rank 1 is the most probable. */
    public record Target(int id, double prob, int rank) {
    }
}
