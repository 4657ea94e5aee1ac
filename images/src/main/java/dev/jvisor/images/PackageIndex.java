package dev.jvisor.images;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The packages of interest from one or more suites' {@code Packages} indexes, with apt-like
 * resolution: among all suites, the highest version by dpkg ordering wins.
 *
 * <p>Entries are kept in the order they were added; when two suites list the same version (an update
 * copied into the security suite), the first one added is chosen.
 */
public final class PackageIndex {
    private final Map<String, List<PackageEntry>> byName = new LinkedHashMap<>();
    private final List<String> suites = new ArrayList<>();

    /** Adds one entry. */
    public void add(PackageEntry entry) {
        byName.computeIfAbsent(entry.name(), n -> new ArrayList<>()).add(entry);
    }

    /** Records that a suite's index was read, for error messages ("in none of bookworm, ..."). */
    public void noteSuite(String suite) {
        if (!suites.contains(suite)) {
            suites.add(suite);
        }
    }

    /** All entries with this name, in insertion order. */
    public List<PackageEntry> named(String name) {
        return List.copyOf(byName.getOrDefault(name, List.of()));
    }

    /** The number of entries. */
    public int size() {
        return byName.values().stream().mapToInt(Collection::size).sum();
    }

    /** The highest version of {@code name} in any suite. */
    public Optional<PackageEntry> newest(String name) {
        return newestOf(byName.getOrDefault(name, List.of()), null);
    }

    /** The highest version that satisfies {@code relation}. */
    public Optional<PackageEntry> newestSatisfying(PackageRelation relation) {
        return newestOf(byName.getOrDefault(relation.packageName(), List.of()), relation);
    }

    private static Optional<PackageEntry> newestOf(List<PackageEntry> entries, PackageRelation relation) {
        PackageEntry best = null;
        for (PackageEntry entry : entries) {
            if (relation != null && !relation.isSatisfiedBy(entry.name(), entry.version())) {
                continue;
            }
            if (best == null || entry.version().isNewerThan(best.version())) {
                best = entry;
            }
        }
        return Optional.ofNullable(best);
    }

    /**
     * The highest version of a package that must exist.
     *
     * @throws ImageException naming the suites searched when no suite lists it
     */
    public PackageEntry resolve(String name) throws ImageException {
        return newest(name).orElseThrow(() -> new ImageException(
                "package " + name + " is in none of " + String.join(", ", suites)));
    }

    /**
     * Resolves a metapackage such as {@code linux-image-cloud-amd64} to the package it pulls in: the
     * newest metapackage's first {@code Depends} alternative whose name starts with
     * {@code dependencyPrefix}, at the highest version its version constraint allows.
     *
     * @throws ImageException when the metapackage, its dependency or a satisfying version is missing
     */
    public PackageEntry resolveThroughMetapackage(String metapackage, String dependencyPrefix) throws ImageException {
        PackageEntry meta = resolve(metapackage);
        for (List<PackageRelation> group : meta.depends()) {
            for (PackageRelation relation : group) {
                if (relation.packageName().startsWith(dependencyPrefix)) {
                    return newestSatisfying(relation).orElseThrow(() -> new ImageException(
                            meta.describe() + " (from " + meta.suite() + ") depends on " + relation
                                    + ", which is in none of " + String.join(", ", suites)));
                }
            }
        }
        throw new ImageException(meta.describe() + " (from " + meta.suite() + ") does not depend on any "
                + dependencyPrefix + "* package");
    }
}
