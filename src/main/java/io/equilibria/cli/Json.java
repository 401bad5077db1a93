package io.equilibria.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.equilibria.image.AtomicFiles;

import java.nio.file.Path;

/** JSON output (Jackson) for reports and metrics; files are written atomically. */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
;

    private Json() {}

    static String text(Object o) {
        try {
            return MAPPER.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static void write(Path p, Object o) {
        AtomicFiles.writeString(p, text(o) + "\n");
    }
}
