package dev.jvisor.images;

import java.net.URI;
import java.util.Map;

/**
 * Where the Debian archive is fetched from: the main archive and the security archive, which Debian
 * serves from a separate tree ({@code debian-security}).
 *
 * @param main     the root of the main archive, e.g. {@code http://deb.debian.org/debian}
 * @param security the root of the security archive, e.g. {@code http://deb.debian.org/debian-security}
 */
public record DebianMirrors(URI main, URI security) {
    /** Environment variable naming the main archive mirror. */
    public static final String MIRROR_ENV = "JVISOR_DEBIAN_MIRROR";
    /** Environment variable naming the security archive mirror. */
    public static final String SECURITY_MIRROR_ENV = "JVISOR_DEBIAN_SECURITY_MIRROR";
    /** Debian's CDN-backed default mirrors. Plain HTTP is fine: everything is signature-checked. */
    public static final DebianMirrors DEFAULT = new DebianMirrors(URI.create("http://deb.debian.org/debian"),
            URI.create("http://deb.debian.org/debian-security"));

    public DebianMirrors {
        main = checked(main, "main");
        security = checked(security, "security");
    }

    private static URI checked(URI uri, String which) {
        if (uri == null) {
            throw new IllegalArgumentException("the " + which + " mirror is missing");
        }
        String scheme = uri.getScheme();
        if (!"http".equals(scheme) && !"https".equals(scheme) || uri.getHost() == null) {
            throw new IllegalArgumentException("the " + which + " mirror '" + uri + "' is not an http(s) URL");
        }
        String text = uri.toString();
        return text.endsWith("/") ? URI.create(text.substring(0, text.length() - 1)) : uri;
    }

    /** The mirrors from the process environment (see {@link #fromEnvironment(Map)}). */
    public static DebianMirrors fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /**
     * The mirrors named by {@value #MIRROR_ENV} and {@value #SECURITY_MIRROR_ENV}. When only the main
     * mirror is given, the security archive is assumed beside it with a {@code -security} suffix
     * ({@code http://host/debian} → {@code http://host/debian-security}), the layout Debian mirrors use.
     *
     * @throws IllegalArgumentException when a variable is set but is not an http(s) URL
     */
    public static DebianMirrors fromEnvironment(Map<String, String> environment) {
        String main = environment.get(MIRROR_ENV);
        String security = environment.get(SECURITY_MIRROR_ENV);
        if ((main == null || main.isBlank()) && (security == null || security.isBlank())) {
            return DEFAULT;
        }
        URI mainUri = main == null || main.isBlank() ? DEFAULT.main() : parse(main, MIRROR_ENV);
        URI securityUri;
        if (security != null && !security.isBlank()) {
            securityUri = parse(security, SECURITY_MIRROR_ENV);
        } else {
            String root = mainUri.toString();
            securityUri = URI.create((root.endsWith("/") ? root.substring(0, root.length() - 1) : root) + "-security");
        }
        return new DebianMirrors(mainUri, securityUri);
    }

    private static URI parse(String value, String variable) {
        try {
            return URI.create(value.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(variable + "='" + value + "' is not a valid URL", e);
        }
    }

    /** The mirror that serves {@code suite}: the security archive for {@code *-security} suites. */
    public URI rootFor(String suite) {
        return suite.endsWith("-security") ? security : main;
    }
}
