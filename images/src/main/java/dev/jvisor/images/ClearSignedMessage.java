package dev.jvisor.images;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * An OpenPGP cleartext-signed message (RFC 4880 §7, RFC 9580 §7) split into its signed text and its
 * armored signature block, as Debian's {@code InRelease} files are.
 *
 * <p>Parsing is strict in the way apt is since CVE-2013-1051: nothing may precede the
 * {@code BEGIN PGP SIGNED MESSAGE} line or follow the signature block except blank lines, so that no
 * unsigned text can be mistaken for signed text. Only the text returned by {@link #text()} — exactly
 * what the signature covers — may be used after verification.
 *
 * @param lines          the signed text's lines, dash-escaping removed and trailing spaces and tabs
 *                       stripped (RFC 4880 §7.1)
 * @param hashHeaders    the values of the {@code Hash:} armor headers (informational)
 * @param signatureBlock the ASCII-armored signature block, {@code BEGIN} to {@code END} lines inclusive
 */
public record ClearSignedMessage(List<String> lines, List<String> hashHeaders, String signatureBlock) {
    static final String BEGIN_MESSAGE = "-----BEGIN PGP SIGNED MESSAGE-----";
    static final String BEGIN_SIGNATURE = "-----BEGIN PGP SIGNATURE-----";
    static final String END_SIGNATURE = "-----END PGP SIGNATURE-----";

    public ClearSignedMessage {
        lines = List.copyOf(lines);
        hashHeaders = List.copyOf(hashHeaders);
    }

    /**
     * Splits a cleartext-signed file.
     *
     * @param origin where the bytes came from, for error messages
     * @throws VerificationException when the framing is not a single well-formed cleartext signature
     */
    public static ClearSignedMessage parse(byte[] bytes, String origin) throws VerificationException {
        String content;
        try {
            content = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new VerificationException(origin + " is not valid UTF-8 text", e);
        }
        String[] raw = content.split("\n", -1);
        int index = 0;
        if (raw.length == 0 || !stripCr(raw[0]).equals(BEGIN_MESSAGE)) {
            throw new VerificationException(origin + " is not an OpenPGP clear-signed file (it must start with '"
                    + BEGIN_MESSAGE + "')");
        }
        index++;
        List<String> hashes = new ArrayList<>();
        for (; index < raw.length; index++) {
            String header = stripCr(raw[index]);
            if (header.isEmpty()) {
                break;
            }
            if (!header.startsWith("Hash:")) {
                throw new VerificationException(origin + ": unexpected armor header '" + header + "'");
            }
            hashes.add(header.substring("Hash:".length()).strip());
        }
        if (index >= raw.length) {
            throw new VerificationException(origin + ": the signed message has no text");
        }
        index++;
        List<String> text = new ArrayList<>();
        for (; index < raw.length; index++) {
            String line = stripCr(raw[index]);
            if (line.equals(BEGIN_SIGNATURE)) {
                break;
            }
            if (line.startsWith("- ")) {
                line = line.substring(2);
            } else if (line.startsWith("-")) {
                // RFC 4880 §7.1: every text line starting with '-' is dash-escaped; an unescaped one is
                // either a second armor block or tampering.
                throw new VerificationException(origin + ": unexpected line '" + line + "' inside the signed text");
            }
            text.add(stripTrailingWhitespace(line));
        }
        if (index >= raw.length) {
            throw new VerificationException(origin + ": the signature block is missing");
        }
        StringBuilder block = new StringBuilder();
        boolean ended = false;
        for (; index < raw.length; index++) {
            String line = stripCr(raw[index]);
            block.append(line).append('\n');
            if (line.equals(END_SIGNATURE)) {
                ended = true;
                index++;
                break;
            }
        }
        if (!ended) {
            throw new VerificationException(origin + ": the signature block is not terminated");
        }
        for (; index < raw.length; index++) {
            if (!raw[index].isBlank()) {
                throw new VerificationException(origin + ": unsigned data follows the signature");
            }
        }
        return new ClearSignedMessage(text, hashes, block.toString());
    }

    /** The signed text with {@code \n} line ends and a final newline, ready for a control-file parser. */
    public String text() {
        return String.join("\n", lines) + "\n";
    }

    /**
     * The exact bytes the signature covers: the lines joined with CRLF and no line end after the last
     * one (RFC 4880 §7.1: "the line ending ... before the dash-escaped ... signature is not part of
     * the signed text").
     */
    public byte[] signedBytes() {
        return String.join("\r\n", lines).getBytes(StandardCharsets.UTF_8);
    }

    private static String stripCr(String line) {
        return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
    }

    private static String stripTrailingWhitespace(String line) {
        int end = line.length();
        while (end > 0 && (line.charAt(end - 1) == ' ' || line.charAt(end - 1) == '\t')) {
            end--;
        }
        return line.substring(0, end);
    }
}
