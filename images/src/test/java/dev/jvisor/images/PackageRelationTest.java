package dev.jvisor.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PackageRelationTest {

    @Test
    void parsesAMetapackageDependency() {
        PackageRelation relation = PackageRelation.parse("linux-image-6.1.0-56-cloud-amd64 (= 6.1.192-2)");
        assertThat(relation.packageName()).isEqualTo("linux-image-6.1.0-56-cloud-amd64");
        assertThat(relation.operator()).contains(PackageRelation.Operator.EQUAL);
        assertThat(relation.version()).hasToString("6.1.192-2");
        assertThat(relation).hasToString("linux-image-6.1.0-56-cloud-amd64 (= 6.1.192-2)");
    }

    @Test
    void parsesAWholeFieldWithAlternativesQualifiersAndRestrictions() {
        List<List<PackageRelation>> field = PackageRelation.parseField(
                "kmod, linux-base (>= 4.3~), initramfs-tools (>= 0.120+deb8u2) | linux-initramfs-tool,"
                        + " python3:any (>=3.9), foo [amd64] <!nocheck>");
        assertThat(field).hasSize(5);
        assertThat(field.get(0)).singleElement().extracting(PackageRelation::packageName).isEqualTo("kmod");
        assertThat(field.get(1).getFirst().operator()).contains(PackageRelation.Operator.LATER_OR_EQUAL);
        assertThat(field.get(2)).extracting(PackageRelation::packageName)
                .containsExactly("initramfs-tools", "linux-initramfs-tool");
        assertThat(field.get(3).getFirst().packageName()).isEqualTo("python3");
        assertThat(field.get(4).getFirst().operator()).isEmpty();
        assertThat(PackageRelation.parseField("")).isEmpty();
        assertThat(PackageRelation.parseField(null)).isEmpty();
    }

    @ParameterizedTest(name = "{0} {1} {2} -> {3}")
    @CsvSource({
            "<<, 2.0, 1.9, true", "<<, 2.0, 2.0, false",
            "<=, 2.0, 2.0, true", "<=, 2.0, 2.1, false",
            "=, 2.0, 2.0-0, true", "=, 2.0, 2.0-1, false",
            ">=, 4.3~, 4.3~~, false", ">=, 4.3~, 4.3~rc1, true", ">=, 4.3~, 4.3, true",
            ">>, 2.0, 2.0, false", ">>, 2.0, 2.0+b1, true",
            "<, 2.0, 2.0, true", ">, 2.0, 2.0, true",
    })
    void operatorsCompareByDpkgOrder(String operator, String bound, String candidate, boolean satisfied) {
        PackageRelation relation = PackageRelation.parse("pkg (" + operator + " " + bound + ")");
        assertThat(relation.isSatisfiedBy("pkg", DebianVersion.parse(candidate))).isEqualTo(satisfied);
        assertThat(relation.isSatisfiedBy("other", DebianVersion.parse(candidate))).isFalse();
    }

    @Test
    void anUnversionedRelationAcceptsAnyVersion() {
        assertThat(PackageRelation.parse("kmod").isSatisfiedBy("kmod", DebianVersion.parse("0.1"))).isTrue();
    }

    @Test
    void rejectsMalformedRelations() {
        assertThatThrownBy(() -> PackageRelation.parse("Foo (= 1)")).hasMessageContaining("malformed");
        assertThatThrownBy(() -> PackageRelation.parse("foo (=< 1)")).hasMessageContaining("malformed");
        assertThatThrownBy(() -> PackageRelation.parse("foo (= )")).hasMessageContaining("malformed");
        assertThatThrownBy(() -> PackageRelation.parseField("a,,b")).hasMessageContaining("empty relation");
        assertThatThrownBy(() -> PackageRelation.parse("foo (= x1)")).hasMessageContaining("digit");
    }
}
