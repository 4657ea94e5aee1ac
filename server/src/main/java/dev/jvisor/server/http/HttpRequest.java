package dev.jvisor.server.http;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;

/**
 * One parsed HTTP/1.1 request (RFC 9112): method, path (percent-decoded), query parameters, headers
 * (names lower-cased) and the whole body.
 *
 * @param method    the method as sent ({@code GET}, {@code PUT}, ...)
 * @param path      the decoded path, always starting with '/'
 * @param query     decoded query parameters (the last value wins)
 * @param headers   header fields, names in lower case
 * @param body      the body (empty when none)
 * @param trusted   whether the transport itself authenticates the client (the 0600 Unix socket)
 */
public record HttpRequest(String method, String path, Map<String, String> query, Map<String, String> headers,
                          byte[] body, boolean trusted) {
    public HttpRequest {
        query = Map.copyOf(query);
        headers = Map.copyOf(headers);
    }

    /** A header value, or null. */
    public String header(String name) {
        return headers.get(name.toLowerCase(Locale.ROOT));
    }

    /** The body as UTF-8 text. */
    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }
}
