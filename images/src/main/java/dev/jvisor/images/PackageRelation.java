package dev.jvisor.images;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One package relation from a {@code Depends}-style field, such as
 * {@code linux-image-6.1.0-56-cloud-amd64 (= 6.1.192-2)}.
 *
 * <p>Syntax from Debian Policy §7.1: a name, an optional architecture qualifier ({@code :any}), an
 * optional version constraint in parentheses, optional architecture restrictions in brackets and
 * build profiles in angle brackets (the last two are accepted and ignored here: they only matter when
 * building from source).
 *
 * @param packageName the package the relation is about
 * @param operator    the version operator, or empty when any version satisfies the relation
 * @param version     the version the operator compares with; null exactly when operator is empty
 */
public record PackageRelation(String packageName, Optional<Operator> operator, DebianVersion version) {

    /** The version operators of Debian Policy §7.1, with the obsolete {@code <} and {@code >}. */
    public enum Operator {
        EARLIER("<<"), EARLIER_OR_EQUAL("<="), EQUAL("="), LATER_OR_EQUAL(">="), LATER(">>");

        private final String symbol;

        Operator(String symbol) {
            this.symbol = symbol;
        }

        /** The operator as written in control files. */
        public String symbol() {
            return symbol;
        }

        static Operator parse(String symbol) {
            return switch (symbol) {
                case "<<" -> EARLIER;
                // Policy §7.1: the deprecated '<' and '>' mean '<=' and '>='.
                case "<=", "<" -> EARLIER_OR_EQUAL;
                case "=" -> EQUAL;
                case ">=", ">" -> LATER_OR_EQUAL;
                case ">>" -> LATER;
                default -> throw new IllegalArgumentException("unknown version operator '" + symbol + "'");
            };
        }

        boolean accepts(int comparison) {
            return switch (this) {
                case EARLIER -> comparison < 0;
                case EARLIER_OR_EQUAL -> comparison <= 0;
                case EQUAL -> comparison == 0;
                case LATER_OR_EQUAL -> comparison >= 0;
                case LATER -> comparison > 0;
            };
        }
    }

    private static final Pattern RELATION = Pattern.compile(
            "([a-z0-9][a-z0-9+.-]*)(?::[a-z0-9-]+)?"
                    + "\\s*(?:\\(\\s*(<<|<=|>=|>>|=|<|>)\\s*([^()\\s]+)\\s*\\))?"
                    + "\\s*(?:\\[[^\\]]*\\])?"
                    + "\\s*(?:<[^>]*>\\s*)*");

    public PackageRelation {
        if (packageName == null || packageName.isEmpty()) {
            throw new IllegalArgumentException("empty package name in relation");
        }
        if (operator.isPresent() != (version != null)) {
            throw new IllegalArgumentException("operator and version must be given together");
        }
    }

    /** True when a package with this name and version satisfies the relation. */
    public boolean isSatisfiedBy(String name, DebianVersion candidate) {
        if (!packageName.equals(name)) {
            return false;
        }
        return operator.map(op -> op.accepts(candidate.compareTo(version))).orElse(true);
    }

    /**
     * Parses a whole relationship field: comma-separated groups, each a {@code |}-separated list of
     * alternatives. An empty or blank field gives an empty list.
     *
     * @throws IllegalArgumentException naming the offending relation if the field is malformed
     */
    public static List<List<PackageRelation>> parseField(String field) {
        List<List<PackageRelation>> groups = new ArrayList<>();
        if (field == null || field.isBlank()) {
            return groups;
        }
        for (String group : field.split(",", -1)) {
            if (group.isBlank()) {
                throw new IllegalArgumentException("empty relation in '" + field.strip() + "'");
            }
            List<PackageRelation> alternatives = new ArrayList<>();
            for (String alternative : group.split("\\|", -1)) {
                alternatives.add(parse(alternative));
            }
            groups.add(List.copyOf(alternatives));
        }
        return List.copyOf(groups);
    }

    /** Parses a single relation such as {@code foo (>= 1.2)}. */
    public static PackageRelation parse(String text) {
        String relation = text.strip();
        Matcher matcher = RELATION.matcher(relation);
        if (!matcher.matches()) {
            throw new IllegalArgumentException("malformed package relation '" + relation + "'");
        }
        String name = matcher.group(1);
        if (matcher.group(2) == null) {
            return new PackageRelation(name, Optional.empty(), null);
        }
        return new PackageRelation(name, Optional.of(Operator.parse(matcher.group(2))),
                DebianVersion.parse(matcher.group(3)));
    }

    @Override
    public String toString() {
        return operator.map(op -> packageName + " (" + op.symbol() + " " + version + ")").orElse(packageName);
    }
}
