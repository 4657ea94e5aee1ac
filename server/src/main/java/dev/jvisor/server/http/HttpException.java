package dev.jvisor.server.http;

/**
 * A request that cannot be served, with the status to answer and a message for the client. Thrown
 * by handlers and by the parser; the server turns it into a response and keeps running.
 */
public class HttpException extends Exception {
    private final int status;

    public HttpException(int status, String message) {
        super(message);
        this.status = status;
    }

    /** The HTTP status code (4xx for the client's mistakes, 5xx for ours). */
    public int status() {
        return status;
    }
}
