package dev.jvisor.emu.cpu;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * A minimal CPU environment for instruction tests: no interrupt controller, a debug console on port
 * 0xE9, a "stop" port 0xF4 that ends the run, and a log of every other port and MMIO access.
 */
final class TestEnvironment implements CpuEnvironment {
    static final int CONSOLE = 0xe9, STOP = 0xf4;

    record Access(boolean write, boolean io, long address, int size, long value) {
    }

    final ByteArrayOutputStream console = new ByteArrayOutputStream();
    final List<Access> accesses = new ArrayList<>();
    Cpu cpu;
    long stopValue = -1;
    long mmioReadValue = 0x1122334455667788L;
    long now;
    long apicBase = 0xfee00900L;

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
        accesses.add(new Access(false, true, port, size, 0));
        return 0x42;
    }

    @Override
    public void pioWrite(int port, int size, long value) {
        if (port == CONSOLE) {
            console.write((int) value);
            return;
        }
        if (port == STOP) {
            stopValue = value;
            cpu.requestKick();
            return;
        }
        accesses.add(new Access(true, true, port, size, value));
    }

    @Override
    public long mmioRead(long physicalAddress, int size) {
        accesses.add(new Access(false, false, physicalAddress, size, 0));
        return mmioReadValue & Insn.mask(size);
    }

    @Override
    public void mmioWrite(long physicalAddress, int size, long value) {
        accesses.add(new Access(true, false, physicalAddress, size, value));
    }

    @Override
    public long nanos() {
        return now += 1000;
    }

    @Override
    public long tsc() {
        return nanos() * 2;
    }

    @Override
    public void setTsc(long value) {
    }

    @Override
    public long readMsr(int index) {
        return apicBase;
    }

    @Override
    public void writeMsr(int index, long value) {
        apicBase = value;
    }

    @Override
    public boolean ownsMsr(int index) {
        return index == Msrs.IA32_APIC_BASE;
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

    String consoleText() {
        return console.toString(java.nio.charset.StandardCharsets.ISO_8859_1);
    }
}
