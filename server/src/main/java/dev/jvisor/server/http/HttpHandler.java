package dev.jvisor.server.http;

/**
 * Serves requests. Called on the connection's own (virtual) thread; may block. An
 * {@link HttpException} becomes an error response built by {@link #error}; any other exception a 500.
 */
@FunctionalInterface
public interface HttpHandler {
    HttpResponse handle(HttpRequest request) throws HttpException;

    /** The response for a failed request; the default is a JSON object {@code {"error": message}}. */
    default HttpResponse error(int status, String message) {
        return HttpResponse.json(status, "{\"error\":" + HttpResponse.jsonString(message) + "}");
    }
}
