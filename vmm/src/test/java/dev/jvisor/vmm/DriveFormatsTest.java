package dev.jvisor.vmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvisor.io.disk.DiskFormat;
import dev.jvisor.io.disk.ImageTool;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DriveFormatsTest {
    @TempDir
    Path dir;

    private Path image(String name, DiskFormat format) throws Exception {
        Path p = dir.resolve(name);
        ImageTool.create(p, format, 1 << 20);
        return p;
    }

    private static DiskFormat writable(Path p) throws VmException {
        return DriveFormats.resolve(new DriveConfig(p, Optional.empty(), false, RateLimitConfig.NONE));
    }

    @Test
    void anExplicitFormatIsTakenAsGiven() throws Exception {
        Path p = image("disk.qcow2", DiskFormat.QCOW2);
        assertThat(DriveFormats.resolve(DriveConfig.writable(p, DiskFormat.RAW))).isEqualTo(DiskFormat.RAW);
    }

    @Test
    void readOnlyDrivesAreProbed() throws Exception {
        assertThat(DriveFormats.resolve(DriveConfig.readOnly(image("a.img", DiskFormat.QCOW2), Optional.empty())))
                .isEqualTo(DiskFormat.QCOW2);
        assertThat(DriveFormats.resolve(DriveConfig.readOnly(image("b.img", DiskFormat.RAW), Optional.empty())))
                .isEqualTo(DiskFormat.RAW);
    }

    @Test
    void writableDrivesAreProbedOnlyWhenNameAndContentAgree() throws Exception {
        assertThat(writable(image("disk.qcow2", DiskFormat.QCOW2))).isEqualTo(DiskFormat.QCOW2);
        assertThat(writable(image("disk.raw", DiskFormat.RAW))).isEqualTo(DiskFormat.RAW);
        Path ambiguous = image("disk.img", DiskFormat.RAW);
        assertThatThrownBy(() -> writable(ambiguous)).isInstanceOf(VmException.class)
                .hasMessageContaining("needs format=raw or format=qcow2").hasMessageContaining("its name does not say");
        Path disguised = image("disguised.raw", DiskFormat.QCOW2); // e.g. a guest wrote a qcow2 header
        assertThatThrownBy(() -> writable(disguised)).hasMessageContaining("its name says raw but its content looks qcow2");
        Path empty = image("empty.qcow2", DiskFormat.RAW);
        assertThatThrownBy(() -> writable(empty)).hasMessageContaining("its name says qcow2 but its content looks raw");
    }

    @Test
    void aMissingFileIsNamed() {
        Path missing = dir.resolve("missing.raw");
        assertThatThrownBy(() -> writable(missing)).hasMessage("drive " + missing + " does not exist");
    }
}
