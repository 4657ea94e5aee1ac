package dev.jvisor.vmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class DeviceOptionsTest {
    @Test
    void splitsWordsAndKeyValuesInOrderWithCaseInsensitiveKeys() {
        DeviceOptions o = DeviceOptions.parse("--net", "user,HostFwd=tcp::1-:2,hostfwd=udp::3-:4,mac=52:54:00:00:00:01");
        assertThat(o.entries()).containsExactly(new DeviceOptions.Entry("user", null),
                new DeviceOptions.Entry("hostfwd", "tcp::1-:2"), new DeviceOptions.Entry("hostfwd", "udp::3-:4"),
                new DeviceOptions.Entry("mac", "52:54:00:00:00:01"));
        assertThat(o.all("hostfwd")).containsExactly("tcp::1-:2", "udp::3-:4");
        assertThat(o.single("mac")).isEqualTo("52:54:00:00:00:01");
        assertThat(o.single("rate")).isNull();
    }

    @Test
    void doubledCommaIsALiteralCommaAndValuesKeepEqualsSigns() {
        DeviceOptions o = DeviceOptions.parse("--drive", "file=a,,b=c.img,readonly");
        assertThat(o.single("file")).isEqualTo("a,b=c.img");
        assertThat(o.flag("readonly", false)).isTrue();
    }

    @Test
    void flagsAcceptOnOffSpellingsAndRejectOthers() {
        assertThat(DeviceOptions.parse("x", "readonly=off").flag("readonly", true)).isFalse();
        assertThat(DeviceOptions.parse("x", "readonly=YES").flag("readonly", false)).isTrue();
        assertThat(DeviceOptions.parse("x", "file=f").flag("readonly", true)).isTrue();
        assertThatThrownBy(() -> DeviceOptions.parse("x", "readonly=maybe").flag("readonly", false))
                .hasMessageContaining("readonly=maybe must be on or off");
    }

    @Test
    void rejectsEmptyItemsMissingKeysDuplicatesAndUnknownKeys() {
        assertThatThrownBy(() -> DeviceOptions.parse("--drive", "")).hasMessage("--drive needs a value");
        assertThatThrownBy(() -> DeviceOptions.parse("--drive", "file=a,")).hasMessageContaining("empty item");
        assertThatThrownBy(() -> DeviceOptions.parse("--drive", "=a")).hasMessageContaining("no key before '='");
        assertThatThrownBy(() -> DeviceOptions.parse("--drive", "file=a,file=b").single("file"))
                .hasMessageContaining("'file' is given 2 times");
        assertThatThrownBy(() -> DeviceOptions.parse("--drive", "file").single("file"))
                .hasMessageContaining("'file' needs a value");
        assertThatThrownBy(() -> DeviceOptions.parse("--drive", "file=a,cache=none").requireOnly(List.of("file", "format")))
                .hasMessage("--drive: unknown option 'cache' (known: file, format)");
    }
}
