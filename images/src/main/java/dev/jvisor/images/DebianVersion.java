package dev.jvisor.images;

/**
 * A Debian package version {@code [epoch:]upstream[-revision]}, ordered exactly as dpkg orders them.
 *
 * <p>The rules come from deb-version(7) and Debian Policy §5.6.12: epochs compare numerically; the
 * upstream version and the revision are each compared as alternating runs of non-digits and digits.
 * Non-digit runs compare character by character where {@code ~} sorts before everything (even the
 * end of the string), then the end of the string, then letters, then all other characters; digit runs
 * compare as numbers. A missing revision equals {@code 0}.
 *
 * <p>{@link #equals} is textual ({@code 1.0} and {@code 0:1.0-0} are different records); use
 * {@link #compareTo} to ask whether two versions are the same to dpkg.
 *
 * @param epoch    the epoch, 0 when absent
 * @param upstream the upstream version, never empty
 * @param revision the Debian revision, empty when absent
 */
public record DebianVersion(long epoch, String upstream, String revision) implements Comparable<DebianVersion> {

    public DebianVersion {
        if (epoch < 0) {
            throw new IllegalArgumentException("negative epoch " + epoch);
        }
        if (upstream == null || upstream.isEmpty()) {
            throw new IllegalArgumentException("empty upstream version");
        }
        if (revision == null) {
            throw new IllegalArgumentException("null revision");
        }
    }

    /**
     * Parses a version string as dpkg does.
     *
     * @throws IllegalArgumentException with a message naming the problem if the string is not a valid
     *                                  Debian version
     */
    public static DebianVersion parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("version is missing");
        }
        String version = text.strip();
        if (version.isEmpty()) {
            throw new IllegalArgumentException("version is empty");
        }
        for (int i = 0; i < version.length(); i++) {
            if (Character.isWhitespace(version.charAt(i))) {
                throw new IllegalArgumentException("version '" + text + "' contains whitespace");
            }
        }
        long epoch = 0;
        String rest = version;
        int colon = version.indexOf(':');
        if (colon >= 0) {
            String epochText = version.substring(0, colon);
            if (epochText.isEmpty() || !epochText.chars().allMatch(DebianVersion::isAsciiDigit)) {
                throw new IllegalArgumentException("version '" + text + "' has an epoch that is not a number");
            }
            try {
                epoch = Long.parseLong(epochText);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("version '" + text + "' has an epoch that is too large", e);
            }
            rest = version.substring(colon + 1);
        }
        String upstream = rest;
        String revision = "";
        int dash = rest.lastIndexOf('-');
        if (dash >= 0) {
            upstream = rest.substring(0, dash);
            revision = rest.substring(dash + 1);
            if (revision.isEmpty()) {
                throw new IllegalArgumentException("version '" + text + "' has an empty revision");
            }
        }
        if (upstream.isEmpty()) {
            throw new IllegalArgumentException("version '" + text + "' has an empty upstream version");
        }
        if (!isAsciiDigit(upstream.charAt(0))) {
            throw new IllegalArgumentException("version '" + text + "' does not start with a digit");
        }
        for (int i = 0; i < upstream.length(); i++) {
            char c = upstream.charAt(i);
            // '-' is allowed in upstream only because the revision was split off at the last one;
            // ':' only when an epoch was given (deb-version(7)).
            boolean ok = isAlnum(c) || c == '.' || c == '+' || c == '~' || c == '-' || (c == ':' && colon >= 0);
            if (!ok) {
                throw new IllegalArgumentException("version '" + text + "' has an invalid character '" + c + "'");
            }
        }
        for (int i = 0; i < revision.length(); i++) {
            char c = revision.charAt(i);
            if (!(isAlnum(c) || c == '.' || c == '+' || c == '~')) {
                throw new IllegalArgumentException("version '" + text + "' has an invalid character '" + c
                        + "' in its revision");
            }
        }
        return new DebianVersion(epoch, upstream, revision);
    }

    @Override
    public int compareTo(DebianVersion other) {
        int byEpoch = Long.compare(epoch, other.epoch);
        if (byEpoch != 0) {
            return byEpoch;
        }
        int byUpstream = compareFragment(upstream, other.upstream);
        if (byUpstream != 0) {
            return byUpstream;
        }
        return compareFragment(revision, other.revision);
    }

    /** True when this version sorts after {@code other}. */
    public boolean isNewerThan(DebianVersion other) {
        return compareTo(other) > 0;
    }

    /** The canonical text form: the epoch only when non-zero, the revision only when present. */
    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        if (epoch != 0) {
            text.append(epoch).append(':');
        }
        text.append(upstream);
        if (!revision.isEmpty()) {
            text.append('-').append(revision);
        }
        return text.toString();
    }

    /**
     * Compares an upstream version or a revision by dpkg's algorithm (lib/dpkg/version.c, verrevcmp):
     * alternate a non-digit run compared by {@link #weight} and a digit run compared numerically.
     */
    static int compareFragment(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() || j < b.length()) {
            while ((i < a.length() && !isAsciiDigit(a.charAt(i))) || (j < b.length() && !isAsciiDigit(b.charAt(j)))) {
                int wa = weight(a, i);
                int wb = weight(b, j);
                if (wa != wb) {
                    return Integer.signum(wa - wb);
                }
                i++;
                j++;
            }
            while (i < a.length() && a.charAt(i) == '0') {
                i++;
            }
            while (j < b.length() && b.charAt(j) == '0') {
                j++;
            }
            int firstDifference = 0;
            while (i < a.length() && j < b.length() && isAsciiDigit(a.charAt(i)) && isAsciiDigit(b.charAt(j))) {
                if (firstDifference == 0) {
                    firstDifference = a.charAt(i) - b.charAt(j);
                }
                i++;
                j++;
            }
            // A longer digit run (leading zeros already skipped) is the larger number.
            if (i < a.length() && isAsciiDigit(a.charAt(i))) {
                return 1;
            }
            if (j < b.length() && isAsciiDigit(b.charAt(j))) {
                return -1;
            }
            if (firstDifference != 0) {
                return Integer.signum(firstDifference);
            }
        }
        return 0;
    }

    /**
     * The sort weight of the character at {@code index} inside a non-digit run: {@code ~} lowest,
     * then the end of the string or a digit (both 0), then letters, then everything else.
     */
    private static int weight(String s, int index) {
        if (index >= s.length()) {
            return 0;
        }
        char c = s.charAt(index);
        if (isAsciiDigit(c)) {
            return 0;
        }
        if (isAsciiLetter(c)) {
            return c;
        }
        if (c == '~') {
            return -1;
        }
        return c + 256;
    }

    private static boolean isAsciiDigit(int c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isAsciiLetter(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static boolean isAlnum(int c) {
        return isAsciiDigit(c) || isAsciiLetter(c);
    }
}
