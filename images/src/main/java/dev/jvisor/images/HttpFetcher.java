package dev.jvisor.images;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Downloads over HTTP to a file, hashing on the way, with a connect timeout, a limit on the size and
 * a stall timeout (no bytes for a while aborts the transfer; a slow but moving download is never cut).
 *
 * <p>One instance owns one {@link HttpClient}; close it when done. Safe to use from several threads.
 */
final class HttpFetcher implements AutoCloseable {
    private final HttpClient client;
    private final Duration stallTimeout;

    HttpFetcher(Duration connectTimeout, Duration stallTimeout) {
        this.client = HttpClient.newBuilder()
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NORMAL)
                .build();
        this.stallTimeout = stallTimeout;
    }

    /**
     * Downloads {@code uri} into {@code target} (created or truncated).
     *
     * @param maxBytes the transfer is aborted as soon as more than this many bytes arrive
     * @return the file with its size and SHA-256
     * @throws ImageException "cannot reach host: ..." for network failures, "HTTP 404 ..." for error
     *                        statuses, and clear messages for stalls and oversized bodies
     */
    FetchedFile download(URI uri, Path target, long maxBytes) throws ImageException {
        HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(stallTimeout)
                .header("User-Agent", "jvisor-images")
                .GET()
                .build();
        AtomicLong received = new AtomicLong();
        AtomicReference<FileBodySubscriber> body = new AtomicReference<>();
        CompletableFuture<HttpResponse<FetchedFile>> response = client.sendAsync(request, info -> {
            if (info.statusCode() != 200) {
                return HttpResponse.BodySubscribers.replacing(null);
            }
            FileBodySubscriber subscriber = new FileBodySubscriber(target, maxBytes, received, uri);
            body.set(subscriber);
            return subscriber;
        });
        long lastSeen = -1;
        while (true) {
            try {
                HttpResponse<FetchedFile> result = response.get(stallTimeout.toMillis(), TimeUnit.MILLISECONDS);
                if (result.statusCode() != 200) {
                    throw new HttpStatusException(result.statusCode(), uri);
                }
                return result.body();
            } catch (TimeoutException e) {
                long now = received.get();
                if (now == lastSeen) {
                    ImageException stalled = new ImageException("download of " + uri + " stalled: no data for "
                            + String.format(Locale.ROOT, "%.1f", stallTimeout.toMillis() / 1000.0)
                            + " s after " + now + " bytes");
                    abort(response, body.get(), stalled);
                    throw stalled;
                }
                lastSeen = now;
            } catch (InterruptedException e) {
                ImageException interrupted = new ImageException("interrupted while downloading " + uri, e);
                abort(response, body.get(), interrupted);
                Thread.currentThread().interrupt();
                throw interrupted;
            } catch (ExecutionException e) {
                throw describeFailure(uri, e.getCause());
            }
        }
    }

    /**
     * Ends an exchange: cancelling the response future alone does not stop a body that is already
     * streaming, so the body subscription is cancelled too, which closes the connection.
     */
    private static void abort(CompletableFuture<?> response, FileBodySubscriber body, ImageException reason) {
        if (body != null) {
            body.fail(reason);
        }
        response.cancel(true);
    }

    private static ImageException describeFailure(URI uri, Throwable cause) {
        Throwable root = cause;
        while (true) {
            if (root instanceof ImageException image) {
                return image;
            }
            if (root.getCause() == null || root.getCause() == root) {
                break;
            }
            root = root.getCause();
        }
        String detail = switch (root) {
            case HttpConnectTimeoutException _ -> "connection timed out";
            case HttpTimeoutException _ -> "no response within the timeout";
            case UnresolvedAddressException _, UnknownHostException _ -> "cannot resolve the host name";
            case ConnectException c -> c.getMessage() == null ? "connection refused" : c.getMessage();
            default -> root.getMessage() == null ? root.getClass().getSimpleName()
                    : root.getClass().getSimpleName() + ": " + root.getMessage();
        };
        return new ImageException("cannot reach " + uri.getHost() + ": " + detail + " (while fetching " + uri + ")",
                cause);
    }

    /** Aborts whatever is still in flight (nothing, after a normal download) without waiting. */
    @Override
    public void close() {
        client.shutdownNow();
    }

    /** The server answered with a status other than 200. */
    static final class HttpStatusException extends ImageException {
        private final int status;

        HttpStatusException(int status, URI uri) {
            super("HTTP " + status + " from " + uri);
            this.status = status;
        }

        /** The HTTP status code. */
        int status() {
            return status;
        }
    }

    /** Writes the body to a file and hashes it, enforcing the size limit. */
    private static final class FileBodySubscriber implements HttpResponse.BodySubscriber<FetchedFile> {
        private final CompletableFuture<FetchedFile> result = new CompletableFuture<>();
        private final Path target;
        private final long maxBytes;
        private final AtomicLong received;
        private final URI uri;
        private final MessageDigest digest;
        private volatile FileChannel channel;
        private volatile Flow.Subscription subscription;

        FileBodySubscriber(Path target, long maxBytes, AtomicLong received, URI uri) {
            this.target = target;
            this.maxBytes = maxBytes;
            this.received = received;
            this.uri = uri;
            this.digest = Digests.newSha256();
        }

        @Override
        public CompletionStage<FetchedFile> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            this.subscription = subscription;
            try {
                channel = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING);
            } catch (IOException e) {
                fail(new ImageException("cannot write " + target + ": " + e.getMessage(), e));
                return;
            }
            subscription.request(1);
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            if (result.isDone()) {
                return;
            }
            try {
                for (ByteBuffer buffer : buffers) {
                    long total = received.addAndGet(buffer.remaining());
                    if (total > maxBytes) {
                        // The index said how big it is: more bytes is a size mismatch, i.e. a failed
                        // verification, not a transport problem.
                        fail(new VerificationException(uri + ": size mismatch (larger than the "
                                + maxBytes + " bytes the signed index lists); refusing to use it"));
                        return;
                    }
                    digest.update(buffer.duplicate());
                    while (buffer.hasRemaining()) {
                        channel.write(buffer);
                    }
                }
            } catch (IOException e) {
                fail(new ImageException("cannot write " + target + ": " + e.getMessage(), e));
                return;
            }
            subscription.request(1);
        }

        @Override
        public void onError(Throwable error) {
            closeChannel();
            result.completeExceptionally(error);
        }

        @Override
        public void onComplete() {
            try {
                channel.force(false);
                channel.close();
            } catch (IOException e) {
                result.completeExceptionally(new ImageException("cannot write " + target + ": " + e.getMessage(), e));
                return;
            }
            result.complete(new FetchedFile(target, received.get(), HexFormat.of().formatHex(digest.digest())));
        }

        void fail(ImageException error) {
            if (result.isDone()) {
                return;
            }
            if (subscription != null) {
                subscription.cancel();
            }
            closeChannel();
            result.completeExceptionally(error);
        }

        private void closeChannel() {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // Already failing; the partial file is deleted by the caller.
                }
            }
        }
    }
}
