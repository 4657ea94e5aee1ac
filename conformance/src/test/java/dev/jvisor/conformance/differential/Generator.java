package dev.jvisor.conformance.differential;

/** Describes one random case into a {@link CaseBuilder}. */
@FunctionalInterface
public interface Generator {
    void generate(CaseBuilder b);

    /** A generator that picks one of {@code choices} at random each time. */
    static Generator oneOf(Generator... choices) {
        return b -> choices[b.random().nextInt(choices.length)].generate(b);
    }
}
