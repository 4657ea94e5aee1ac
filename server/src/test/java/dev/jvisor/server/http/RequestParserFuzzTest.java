package dev.jvisor.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Fuzz target for the HTTP request parser: any bytes from a client end in parsed requests, a clean
 * {@link HttpException} with a 4xx/5xx status, or the end of the stream; never another exception,
 * and never a request bigger than the limits.
 */
class RequestParserFuzzTest {
    private static final int MAX_HEADER = 4096;
    private static final int MAX_BODY = 8192;

    static void exercise(byte[] data) {
        RequestParser p = new RequestParser(new ByteArrayInputStream(data), new ByteArrayOutputStream(), MAX_HEADER,
                MAX_BODY, false);
        try {
            for (int i = 0; i < 64; i++) {
                HttpRequest r = p.next();
                if (r == null) {
                    return;
                }
                assertThat(r.body().length).isLessThanOrEqualTo(MAX_BODY);
                assertThat(r.path()).startsWith("/");
                assertThat(r.method()).matches("[A-Z]+");
            }
        } catch (HttpException e) {
            assertThat(e.status()).isBetween(400, 599);
        } catch (IOException e) {
            // end of input inside a request
        }
    }

    @FuzzTest(maxDuration = "60s")
    void fuzzRequests(byte[] data) {
        exercise(data);
    }

    private static final List<String> SEEDS = List.of(
            "GET /v1/vms HTTP/1.1\r\nHost: x\r\n\r\n",
            "POST /v1/vms?force=true&x=%41 HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n{\"a\"}",
            "PUT http://localhost/boot-source HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n",
            "\r\nGET / HTTP/1.0\r\nA: 1\r\nA: 2\r\n\r\nGET /x HTTP/1.1\n\n");

    @Test
    void mutatedSeedsFailCleanly() {
        Random rnd = new Random(1111);
        for (String s : SEEDS) {
            exercise(s.getBytes(StandardCharsets.ISO_8859_1));
        }
        for (int i = 0; i < 20_000; i++) {
            byte[] m = SEEDS.get(i % SEEDS.size()).getBytes(StandardCharsets.ISO_8859_1);
            for (int k = 1 + rnd.nextInt(3); k > 0 && m.length > 0; k--) {
                int at = rnd.nextInt(m.length);
                switch (rnd.nextInt(3)) {
                    case 0 -> m[at] = (byte) rnd.nextInt(256);
                    case 1 -> m[at] = (byte) "\r\n: %0123456789abcdefABCDEF;-".charAt(rnd.nextInt(29));
                    default -> m = java.util.Arrays.copyOf(m, at);
                }
            }
            exercise(m);
        }
        exercise(("GET / HTTP/1.1\r\nX: " + "y".repeat(10_000) + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        exercise(("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n").getBytes(StandardCharsets.ISO_8859_1));
    }
}
