package dev.jvisor.server.http;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Writes responses on a connection: status line, header fields, and a fixed or chunked body (RFC 9112). */
final class ResponseWriter {
    private ResponseWriter() {
    }

    static String reason(int status) {
        return switch (status) {
            case 100 -> "Continue";
            case 101 -> "Switching Protocols";
            case 200 -> "OK";
            case 201 -> "Created";
            case 202 -> "Accepted";
            case 204 -> "No Content";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 409 -> "Conflict";
            case 411 -> "Length Required";
            case 413 -> "Content Too Large";
            case 415 -> "Unsupported Media Type";
            case 422 -> "Unprocessable Content";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 501 -> "Not Implemented";
            case 503 -> "Service Unavailable";
            case 505 -> "HTTP Version Not Supported";
            default -> "Status " + status;
        };
    }

    static void head(OutputStream out, int status, Map<String, String> headers, String framing, boolean close)
            throws IOException {
        StringBuilder b = new StringBuilder(128);
        b.append("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
        for (Map.Entry<String, String> h : headers.entrySet()) {
            b.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
        }
        if (framing != null) {
            b.append(framing).append("\r\n");
        }
        if (close) {
            b.append("Connection: close\r\n");
        }
        b.append("\r\n");
        out.write(b.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    static void fixed(OutputStream out, HttpResponse.Fixed r, boolean headOnly, boolean close) throws IOException {
        // 1xx, 204 and 304 carry no body and no Content-Length (RFC 9110 §8.6).
        boolean bodyless = r.status() == 204 || r.status() == 304;
        head(out, r.status(), r.headers(), bodyless ? null : "Content-Length: " + r.body().length, close);
        if (!bodyless && !headOnly) {
            out.write(r.body());
        }
        out.flush();
    }

    /** Chunked transfer coding: each flush of the handler's stream sends one chunk. */
    static final class ChunkedStream extends FilterOutputStream {
        private final byte[] buf = new byte[8192];
        private int len;
        private boolean finished;

        ChunkedStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            if (len == buf.length) {
                flush();
            }
            buf[len++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int n) throws IOException {
            while (n > 0) {
                if (len == buf.length) {
                    flush();
                }
                int k = Math.min(n, buf.length - len);
                System.arraycopy(b, off, buf, len, k);
                len += k;
                off += k;
                n -= k;
            }
        }

        @Override
        public void flush() throws IOException {
            if (len > 0) {
                out.write((Integer.toHexString(len) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(buf, 0, len);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                len = 0;
            }
            out.flush();
        }

        /** Sends the last chunk; the underlying stream stays open. */
        void finish() throws IOException {
            if (!finished) {
                finished = true;
                flush();
                out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
        }

        @Override
        public void close() throws IOException {
            finish();
        }
    }
}
