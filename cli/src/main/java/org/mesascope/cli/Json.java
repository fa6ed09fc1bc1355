package org.mesascope.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** Small values as JSON text, for safetensors metadata (whose values must be strings). */
final class Json {
    private static final JsonMapper MAPPER = JsonMapper.builder().build();

    private Json() {
    }

    /** {@code [1,5,7]}, {@code ["blocks.*.hook_resid_post","logits"]}. */
    static String of(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("ids and strings always serialize", e);
        }
    }
}
