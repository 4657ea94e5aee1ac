package dev.jvisor.server.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a handler answers: a status with a fixed body, a stream written as it comes (Server-Sent
 * Events, console output), or a switch to a raw two-way byte stream on the same connection (the
 * serial console; RFC 9110 §7.8 Upgrade, answered with 101).
 */
public sealed interface HttpResponse {
    int status();

    Map<String, String> headers();

    /** A complete body. */
    record Fixed(int status, Map<String, String> headers, byte[] body) implements HttpResponse {
    }

    /** A body written by {@code writer} until it returns or the client goes away; sent chunked. */
    record Streamed(int status, Map<String, String> headers, StreamWriter writer) implements HttpResponse {
    }

    /** After a 101 response, {@code session} owns the connection's two directions. */
    record Upgraded(String protocol, RawSession session) implements HttpResponse {
        public int status() {
            return 101;
        }

        public Map<String, String> headers() {
            return Map.of("Upgrade", protocol, "Connection", "Upgrade");
        }
    }

    /** Writes a streamed body; each {@code flush()} sends what was written so far. */
    @FunctionalInterface
    interface StreamWriter {
        void write(OutputStream out) throws IOException;
    }

    /** Uses the raw connection after an upgrade. */
    @FunctionalInterface
    interface RawSession {
        void run(InputStream in, OutputStream out) throws IOException;
    }

    static HttpResponse json(int status, String json) {
        return new Fixed(status, Map.of("Content-Type", "application/json"), json.getBytes(StandardCharsets.UTF_8));
    }

    static HttpResponse text(int status, String contentType, String text) {
        return new Fixed(status, Map.of("Content-Type", contentType), text.getBytes(StandardCharsets.UTF_8));
    }

    static HttpResponse empty(int status) {
        return new Fixed(status, Map.of(), new byte[0]);
    }

    static HttpResponse stream(String contentType, StreamWriter writer) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Content-Type", contentType);
        h.put("Cache-Control", "no-cache");
        return new Streamed(200, h, writer);
    }

    /** {@code s} as a JSON string literal (RFC 8259 §7 escapes). */
    static String jsonString(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
