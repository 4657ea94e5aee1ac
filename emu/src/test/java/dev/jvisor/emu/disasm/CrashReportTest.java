package dev.jvisor.emu.disasm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.emu.cpu.CodeCache;
import dev.jvisor.emu.cpu.Cpu;
import dev.jvisor.emu.cpu.CpuDump;
import dev.jvisor.emu.cpu.CpuEnvironment;
import dev.jvisor.emu.cpu.Executor;
import dev.jvisor.hypervisor.VcpuExit;
import dev.jvisor.memory.GuestMemory;
import dev.jvisor.testkit.GuestBoot;
import dev.jvisor.testkit.TinyGuest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The emulator's crash report shows the instructions around RIP: a 64-bit guest with no IDT executes
 * UD2, which escalates to a triple fault, and the report must decode the code there.
 */
class CrashReportTest {
    /** mov $0x1,%eax; add %eax,%ebx; nop; ud2; hlt */
    private static final byte[] CODE = HexFormat.of().parseHex("b80100000001c3900f0bf4");
    private static final long UD2 = TinyGuest.CODE + 8;

    @AfterEach
    void noSymbols() {
        CpuDump.setSymbols(null);
    }

    private static String crash() {
        try (GuestMemory memory = GuestMemory.flat(16 << 20)) {
            Cpu cpu = new Cpu(0, 1, memory, new QuietEnvironment());
            GuestBoot boot = TinyGuest.longMode().load(TinyGuest.CODE, CODE).build(memory);
            cpu.setSystemRegisters(boot.systemRegisters());
            cpu.setRegisters(boot.registers());
            boot.msrs().forEach(cpu::setMsr);
            VcpuExit exit = new Executor(cpu, new CodeCache()).run();
            return switch (exit) {
                case VcpuExit.Shutdown s -> s.detail();
                case VcpuExit.Crashed c -> c.report().toString();
                default -> throw new AssertionError("expected a triple fault, got " + exit);
            };
        }
    }

    @Test
    void reportDecodesTheFaultingInstruction() {
        String report = crash();
        assertThat(report).contains(String.format("=> %016x: 0f 0b", UD2)).containsPattern("0f 0b +ud2")
                .containsPattern("f4 +hlt");
    }

    @Test
    void withSymbolsTheInstructionsBeforeRipAreShownAndNamed() {
        CpuDump.setSymbols(SymbolTable.of(List.of(new Symbol(TinyGuest.CODE, 0, 'T', "guest_entry"))));
        String report = crash();
        assertThat(report).contains(String.format("%016x <guest_entry>: b8 01 00 00 00", TinyGuest.CODE))
                .containsPattern("mov +\\$0x1,%eax").containsPattern("add +%eax,%ebx")
                .contains(String.format("=> %016x <guest_entry+0x8>: 0f 0b", UD2));
        assertThat(report.indexOf("mov    $0x1,%eax")).isLessThan(report.indexOf("ud2"));
    }

    /** No devices, no interrupts: enough for a CPU that only faults. */
    private static final class QuietEnvironment implements CpuEnvironment {
        private long tsc;

        @Override
        public boolean interruptPending() {
            return false;
        }

        @Override
        public int acknowledgeInterrupt() {
            return -1;
        }

        @Override
        public boolean nmiPending() {
            return false;
        }

        @Override
        public void acknowledgeNmi() {
        }

        @Override
        public long pioRead(int port, int size) {
            return -1;
        }

        @Override
        public void pioWrite(int port, int size, long value) {
        }

        @Override
        public long mmioRead(long physicalAddress, int size) {
            return -1;
        }

        @Override
        public void mmioWrite(long physicalAddress, int size, long value) {
        }

        @Override
        public long nanos() {
            return System.nanoTime();
        }

        @Override
        public long tsc() {
            return tsc;
        }

        @Override
        public void setTsc(long value) {
            tsc = value;
        }

        @Override
        public long readMsr(int index) {
            return 0;
        }

        @Override
        public void writeMsr(int index, long value) {
        }

        @Override
        public boolean ownsMsr(int index) {
            return false;
        }

        @Override
        public long nextDeadline() {
            return Long.MAX_VALUE;
        }

        @Override
        public void updateTimers(long now) {
        }

        @Override
        public void waitForEvent(long deadline, boolean maskableAccepted) {
        }

        @Override
        public void wake() {
        }

        @Override
        public int takeStartupEvent() {
            return -1;
        }
    }
}
