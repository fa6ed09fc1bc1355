package org.mesascope.probes.lens;

import org.mesascope.core.io.AtomicFile;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** A {@link LensReport} as the JSON of DESIGN.md ({@code lens --format json}). */
public final class LensJson {
    // AtomicFile forces the file to disk after the content is written, so Jackson must leave the stream open
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET)
            .build();

    private LensJson() {
    }

    public static String toJson(LensReport report) {
        try {
            return MAPPER.writeValueAsString(report);
        } catch (JsonProcessingException e) {
            // a record of strings, numbers and lists always serializes; this would be a bug
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code report} to {@code file} atomically: on any error no partial file is left behind. */
    public static void write(LensReport report, Path file) throws IOException {
        AtomicFile.write(file, out -> MAPPER.writeValue(out, report));
    }
}
