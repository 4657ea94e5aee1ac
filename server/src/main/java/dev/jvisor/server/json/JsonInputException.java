package dev.jvisor.server.json;

/** JSON input that cannot be accepted; the message says which field and why. */
public final class JsonInputException extends Exception {
    public JsonInputException(String message) {
        super(message);
    }
}
