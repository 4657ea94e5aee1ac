package dev.jvisor.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DebianVersionTest {

    /** Known orderings, most from dpkg's own test suite (t-version) and deb-version(7). */
    @ParameterizedTest(name = "{0} {1} {2}")
    @CsvSource(delimiter = ' ', value = {
            "1.0 < 1.1",
            "1.0 = 1.0",
            "1.0 = 1.0-0",
            "1.0 = 0:1.0",
            "0:1.0-0 = 1.0",
            "1:1.0 > 2.0",
            "1:0.1 > 0:9.9",
            "1.0~rc1 < 1.0",
            "1.0~ < 1.0",
            "1.0~~ < 1.0~",
            "1.0~~a < 1.0~",
            "1.0~~ < 1.0~~a",
            "1.0 < 1.0+b1",
            "1.0 < 1.0a",
            "1.0a < 1.0+",
            "1.0a < 1.0.",
            "1.0 < 1.0.0",
            "009 = 9",
            "1.010 > 1.9",
            "1.0-1 < 1.0-1.1",
            "1.0-1 < 1.0-2",
            "1.0-10 > 1.0-9",
            "2.6.32-5 > 2.6.32-4",
            "6.1.192-2 > 6.1.192-1",
            "6.1.192-2 > 6.1.176-1",
            "6.12.117-1~deb12u1 > 6.12.115-2~deb12u1",
            "6.12.117-1~deb12u1 < 6.12.117-1",
            "1:1.35.0-4+deb12u1+b1 > 1:1.35.0-4+deb12u1",
            "1:1.35.0-4+deb12u1 > 1:1.35.0-4",
            "1.2-3-4 > 1.2-3",
            "1:2:3-4 > 1:2.3-4",
            "1a < 1b",
            "1A < 1a",
            "1.0-a < 1.0-b",
            "1.0-~ < 1.0",
            "2.0~beta1 < 2.0~beta2",
            "2.0~beta2 < 2.0~rc1",
    })
    void ordersLikeDpkg(String left, String relation, String right) {
        DebianVersion a = DebianVersion.parse(left);
        DebianVersion b = DebianVersion.parse(right);
        int expected = switch (relation) {
            case "<" -> -1;
            case "=" -> 0;
            case ">" -> 1;
            default -> throw new IllegalArgumentException(relation);
        };
        assertThat(Integer.signum(a.compareTo(b))).as("%s vs %s", left, right).isEqualTo(expected);
        assertThat(Integer.signum(b.compareTo(a))).as("%s vs %s", right, left).isEqualTo(-expected);
    }

    @Test
    void parsesTheParts() {
        DebianVersion version = DebianVersion.parse("1:1.35.0-4+deb12u1+b1");
        assertThat(version.epoch()).isEqualTo(1);
        assertThat(version.upstream()).isEqualTo("1.35.0");
        assertThat(version.revision()).isEqualTo("4+deb12u1+b1");
        assertThat(version).hasToString("1:1.35.0-4+deb12u1+b1");

        DebianVersion hyphenated = DebianVersion.parse("1.2-3-4");
        assertThat(hyphenated.upstream()).isEqualTo("1.2-3");
        assertThat(hyphenated.revision()).isEqualTo("4");

        DebianVersion plain = DebianVersion.parse("6.1");
        assertThat(plain.epoch()).isZero();
        assertThat(plain.revision()).isEmpty();
        assertThat(plain).hasToString("6.1");
    }

    @Test
    void sortsAListOfKernelVersions() {
        List<DebianVersion> versions = new ArrayList<>();
        for (String text : List.of("6.1.192-2", "6.1.170-3", "6.1.192-1", "6.1.176-1", "6.1.192-2~bpo11+1")) {
            versions.add(DebianVersion.parse(text));
        }
        versions.sort(null);
        assertThat(versions).extracting(DebianVersion::toString)
                .containsExactly("6.1.170-3", "6.1.176-1", "6.1.192-1", "6.1.192-2~bpo11+1", "6.1.192-2");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "''| version is empty",
            "a:1.0| epoch that is not a number",
            ":1.0| epoch that is not a number",
            "1:| empty upstream",
            "1.0-| empty revision",
            "-1| empty upstream",
            "abc| does not start with a digit",
            "1.0 beta| whitespace",
            "1.0_1| invalid character '_'",
            "1.0-1_2| invalid character '_' in its revision",
            "1:2:3| ",
            "99999999999999999999:1| too large",
    })
    void rejectsMalformedVersions(String text, String message) {
        if (text.equals("1:2:3")) {
            // A colon in the upstream part is legal when an epoch is present.
            assertThat(DebianVersion.parse(text).upstream()).isEqualTo("2:3");
            return;
        }
        assertThatThrownBy(() -> DebianVersion.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message.strip());
    }
}
