package dev.jvisor.server.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Reads HTTP/1.1 requests from a connection (RFC 9112): the request line, header fields, and a body
 * framed by {@code Content-Length} or chunked transfer coding. Every limit is enforced while reading,
 * so no client can make the daemon buffer more than {@link #maxHeaderBytes} plus
 * {@link #maxBodyBytes}; a violation is an {@link HttpException} with the right 4xx status.
 */
final class RequestParser {
    private final InputStream in;
    private final OutputStream out;
    private final int maxHeaderBytes;
    private final int maxBodyBytes;
    private final boolean trusted;

    RequestParser(InputStream in, OutputStream out, int maxHeaderBytes, int maxBodyBytes, boolean trusted) {
        this.in = in;
        this.out = out;
        this.maxHeaderBytes = maxHeaderBytes;
        this.maxBodyBytes = maxBodyBytes;
        this.trusted = trusted;
    }

    /** The next request, or null at a clean end of the connection (EOF before any byte). */
    HttpRequest next() throws IOException, HttpException {
        int[] budget = {maxHeaderBytes};
        String requestLine = readLine(budget, true);
        // RFC 9112 §2.2: a server should ignore at least one empty line before the request line.
        while (requestLine != null && requestLine.isEmpty()) {
            requestLine = readLine(budget, true);
        }
        if (requestLine == null) {
            return null;
        }
        String[] parts = requestLine.split(" ", -1);
        if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw new HttpException(400, "malformed request line");
        }
        if (!parts[2].equals("HTTP/1.1") && !parts[2].equals("HTTP/1.0")) {
            throw new HttpException(505, "only HTTP/1.1 is supported");
        }
        for (int i = 0; i < parts[0].length(); i++) {
            char c = parts[0].charAt(i);
            if (c < 'A' || c > 'Z') {
                throw new HttpException(400, "malformed method");
            }
        }
        Map<String, String> headers = new HashMap<>();
        while (true) {
            String line = readLine(budget, false);
            if (line.isEmpty()) {
                break;
            }
            int colon = line.indexOf(':');
            if (colon <= 0 || line.charAt(0) == ' ' || line.charAt(0) == '\t') {
                throw new HttpException(400, "malformed header field");
            }
            String name = line.substring(0, colon).toLowerCase(Locale.ROOT);
            if (name.indexOf(' ') >= 0 || name.indexOf('\t') >= 0) {
                throw new HttpException(400, "malformed header field name");
            }
            String value = line.substring(colon + 1).strip();
            headers.merge(name, value, (a, b) -> a + ", " + b);
        }
        if (parts[2].equals("HTTP/1.0") && !headers.containsKey("connection")) {
            headers.put("connection", "close");
        }
        String target = parts[1];
        if (target.startsWith("http://") || target.startsWith("https://")) {
            // absolute-form (RFC 9112 §3.2.2): keep only the path and query
            int slash = target.indexOf('/', target.indexOf("//") + 2);
            target = slash < 0 ? "/" : target.substring(slash);
        }
        if (!target.startsWith("/")) {
            throw new HttpException(400, "the request target must be a path");
        }
        int q = target.indexOf('?');
        String rawPath = q < 0 ? target : target.substring(0, q);
        Map<String, String> query = q < 0 ? Map.of() : parseQuery(target.substring(q + 1));
        String path = decode(rawPath, false);
        byte[] body = readBody(headers);
        return new HttpRequest(parts[0], path, query, headers, body, trusted);
    }

    private byte[] readBody(Map<String, String> headers) throws IOException, HttpException {
        String te = headers.get("transfer-encoding");
        String cl = headers.get("content-length");
        if (te != null && cl != null) {
            throw new HttpException(400, "both Transfer-Encoding and Content-Length"); // RFC 9112 §6.1
        }
        if (te == null && cl == null) {
            return new byte[0];
        }
        if ("100-continue".equalsIgnoreCase(headers.get("expect"))) {
            out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }
        if (te != null) {
            if (!te.equalsIgnoreCase("chunked")) {
                throw new HttpException(501, "transfer coding '" + te + "' is not supported");
            }
            return readChunked();
        }
        long length;
        try {
            length = Long.parseLong(cl);
        } catch (NumberFormatException e) {
            throw new HttpException(400, "bad Content-Length");
        }
        if (length < 0) {
            throw new HttpException(400, "bad Content-Length");
        }
        if (length > maxBodyBytes) {
            throw new HttpException(413, "the body is larger than " + maxBodyBytes + " bytes");
        }
        byte[] body = in.readNBytes((int) length);
        if (body.length != length) {
            throw new HttpException(400, "the body ended early");
        }
        return body;
    }

    private byte[] readChunked() throws IOException, HttpException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        int[] budget = {maxHeaderBytes};
        while (true) {
            String sizeLine = readLine(budget, false);
            int semi = sizeLine.indexOf(';');
            String hex = (semi < 0 ? sizeLine : sizeLine.substring(0, semi)).strip();
            long size;
            try {
                size = Long.parseLong(hex, 16);
            } catch (NumberFormatException e) {
                throw new HttpException(400, "bad chunk size");
            }
            if (size < 0 || body.size() + size > maxBodyBytes) {
                throw new HttpException(413, "the body is larger than " + maxBodyBytes + " bytes");
            }
            if (size == 0) {
                while (!readLine(budget, false).isEmpty()) {
                    // trailer fields are ignored
                }
                return body.toByteArray();
            }
            byte[] chunk = in.readNBytes((int) size);
            if (chunk.length != size) {
                throw new HttpException(400, "the body ended early");
            }
            body.write(chunk);
            if (!readLine(budget, false).isEmpty()) {
                throw new HttpException(400, "malformed chunk");
            }
        }
    }

    /** A line without its CRLF (a bare LF is accepted); null at EOF only if {@code eofOk} and nothing was read. */
    private String readLine(int[] budget, boolean eofOk) throws IOException, HttpException {
        StringBuilder b = new StringBuilder();
        while (true) {
            int c = in.read();
            if (c < 0) {
                if (eofOk && b.isEmpty()) {
                    return null;
                }
                throw new HttpException(400, "the request ended early");
            }
            if (--budget[0] < 0) {
                throw new HttpException(431, "the request header is larger than " + maxHeaderBytes + " bytes");
            }
            if (c == '\n') {
                int n = b.length();
                if (n > 0 && b.charAt(n - 1) == '\r') {
                    b.setLength(n - 1);
                }
                return b.toString();
            }
            if (c == 0) {
                throw new HttpException(400, "NUL in the request header");
            }
            b.append((char) c); // header bytes are ISO-8859-1 (RFC 9110 §5.5)
        }
    }

    static Map<String, String> parseQuery(String q) throws HttpException {
        Map<String, String> m = new HashMap<>();
        for (String pair : q.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = decode(eq < 0 ? pair : pair.substring(0, eq), true);
            String v = eq < 0 ? "" : decode(pair.substring(eq + 1), true);
            m.put(k, v);
        }
        return m;
    }

    private static String decode(String s, boolean plusIsSpace) throws HttpException {
        try {
            return URLDecoder.decode(plusIsSpace ? s : s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new HttpException(400, "bad percent-encoding in the request target");
        }
    }
}
