package dev.jvisor.images;

/**
 * Something downloaded from the archive failed the chain-of-trust checks: a bad or missing OpenPGP
 * signature, an expired Release file, or a size or SHA-256 that differs from the signed value.
 * Always a hard error: nothing that fails verification is used or cached.
 */
public final class VerificationException extends ImageException {
    public VerificationException(String message) {
        super(message);
    }

    public VerificationException(String message, Throwable cause) {
        super(message, cause);
    }
}
