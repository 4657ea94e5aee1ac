package dev.jvisor.machine.acpi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jvisor.machine.MemoryMap;
import dev.jvisor.machine.PlatformLayout;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cross-checks the tables with ACPICA's iasl (Debian package acpica-tools), when installed:
 * every table must disassemble without errors or warnings, and recompiling the disassembly
 * must give back the same bytes (for the DSDT: the same AML with iasl's optimizations off).
 */
class IaslDisassemblyTest {
    private static boolean iaslAvailable;

    @TempDir
    Path dir;

    @BeforeAll
    static void findIasl() {
        try {
            Process p = new ProcessBuilder("iasl", "-v").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            iaslAvailable = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            iaslAvailable = false;
        }
    }

    private String iasl(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("iasl"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("iasl %s:%n%s", String.join(" ", args), output).isZero();
        return output;
    }

    @Test
    void everyTableDisassemblesAndRecompilesToTheSameBytes() throws Exception {
        assumeTrue(iaslAvailable, "iasl (acpica-tools) is not installed");
        AcpiTables acpi = AcpiTables.build(MemoryMap.forRam(6 * PlatformLayout.GIB), 4, true);
        for (AcpiTables.Table table : acpi.tables()) {
            if (table.signature().equals("RSD PTR ")) {
                continue; // iasl does not disassemble a bare RSDP
            }
            String name = table.signature();
            byte[] original = table.bytes();
            Files.write(dir.resolve(name + ".dat"), original);

            iasl("-d", name + ".dat");
            String dsl = Files.readString(dir.resolve(name + ".dsl"), StandardCharsets.ISO_8859_1);
            assertThat(dsl).as(name).doesNotContainIgnoringCase("error").doesNotContainIgnoringCase("warning");

            String compile = iasl("-oa", "-p", name + "-again", name + ".dsl");
            assertThat(compile).as(name).contains("0 Errors, 0 Warnings");
            byte[] again = Files.readAllBytes(dir.resolve(name + "-again.aml"));
            assertThat(again).hasSameSizeAs(original);
            if (name.equals("FACS")) {
                assertThat(again).isEqualTo(original);
            } else {
                // The compiler writes its own checksum and creator fields (offsets 9 and 28-35).
                assertThat(Arrays.copyOfRange(again, 36, again.length)).as(name)
                        .isEqualTo(Arrays.copyOfRange(original, 36, original.length));
                assertThat(Arrays.copyOfRange(again, 0, 9)).isEqualTo(Arrays.copyOfRange(original, 0, 9));
                assertThat(Arrays.copyOfRange(again, 10, 28)).isEqualTo(Arrays.copyOfRange(original, 10, 28));
            }
        }
    }

    @Test
    void dsdtDisassemblyShowsTheExpectedAsl() throws Exception {
        assumeTrue(iaslAvailable, "iasl (acpica-tools) is not installed");
        byte[] dsdt = AcpiTables.build(MemoryMap.forRam(256 * PlatformLayout.MIB), 2, true)
                .table("DSDT").orElseThrow().bytes();
        Files.write(dir.resolve("dsdt.dat"), dsdt);
        iasl("-d", "dsdt.dat");
        String dsl = Files.readString(dir.resolve("dsdt.dsl"), StandardCharsets.ISO_8859_1);
        assertThat(dsl).contains(
                "Name (\\_S5, Package (0x04)",
                "Device (PCI0)",
                "EisaId (\"PNP0A08\")",
                "EisaId (\"PNP0A03\")",
                "WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode",
                "0x0CF7,             // Range Maximum",
                "0xDFFFFFFF,         // Range Maximum",
                "0x0000000100000000, // Range Minimum",
                "Name (_PRT, Package (0x7C)",
                "EisaId (\"PNP0501\")",
                "IRQNoFlags ()\n                    {4}",
                "EisaId (\"PNP0B00\")",
                "Name (_HID, \"ACPI0007\"");
    }
}
