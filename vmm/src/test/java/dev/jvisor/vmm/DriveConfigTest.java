package dev.jvisor.vmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvisor.io.disk.DiskFormat;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DriveConfigTest {
    @Test
    void fullSyntax() {
        DriveConfig d = DriveConfig.parse("file=/images/a,,b.qcow2,format=qcow2,readonly=on,rate=1M/s,burst=8M");
        assertThat(d.file()).isEqualTo(Path.of("/images/a,b.qcow2"));
        assertThat(d.format()).contains(DiskFormat.QCOW2);
        assertThat(d.readOnly()).isTrue();
        assertThat(d.rate().bytes().size()).isEqualTo(1 << 20);
        assertThat(d.rate().bytes().oneTimeBurst()).isEqualTo(8 << 20);
    }

    @Test
    void defaultsAreWritableProbedAndUnlimited() {
        DriveConfig d = DriveConfig.parse("file=disk.raw");
        assertThat(d).isEqualTo(new DriveConfig(Path.of("disk.raw"), Optional.empty(), false, RateLimitConfig.NONE));
    }

    @Test
    void errorsNameTheProblem() {
        assertThatThrownBy(() -> DriveConfig.parse("format=raw")).hasMessageContaining("needs file=PATH");
        assertThatThrownBy(() -> DriveConfig.parse("file=")).hasMessageContaining("needs file=PATH");
        assertThatThrownBy(() -> DriveConfig.parse("file=a,format=vmdk"))
                .hasMessageContaining("unknown disk image format 'vmdk'");
        assertThatThrownBy(() -> DriveConfig.parse("file=a,cache=none"))
                .hasMessageContaining("unknown option 'cache'").hasMessageContaining("file, format, readonly, rate, burst");
        assertThatThrownBy(() -> DriveConfig.parse("file=a,rate=fast")).hasMessageStartingWith("--drive: bad rate term");
        assertThatThrownBy(() -> DriveConfig.parse("file=a\0b")).hasMessageContaining("bad file name");
    }
}
