package dev.jvisor.emu.cpu;

import java.util.HexFormat;

/** Human-readable CPU state for crash reports: registers, mode and the instruction bytes at RIP. */
final class CpuDump {
    private static final String[] NAMES = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9",
            "r10", "r11", "r12", "r13", "r14", "r15"};

    private CpuDump() {
    }

    static String describe(Cpu c, Decoder decoder, Throwable cause) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 16; i++) {
            sb.append(String.format("%-3s=%016x%s", NAMES[i], c.r[i], i % 4 == 3 ? "\n" : "  "));
        }
        sb.append(String.format("rip=%016x rflags=%08x cpl=%d mode=%d-bit%n", c.rip, c.rflags(), c.cpl, c.codeSize));
        sb.append(String.format("cr0=%08x cr2=%016x cr3=%016x cr4=%08x efer=%x%n", c.cr0, c.cr2, c.cr3, c.cr4, c.efer));
        for (int s = 0; s < 6; s++) {
            SegmentRegister r = c.seg[s];
            sb.append(String.format("%s=%04x base=%x limit=%x attr=%x%n", "ecsdfg".charAt(s) + "s", r.selector, r.base,
                    r.limit, r.attr));
        }
        sb.append("code at rip: ").append(codeBytes(c)).append('\n');
        if (cause != null && !(cause instanceof CpuException)) {
            StackTraceElement[] st = cause.getStackTrace();
            for (int i = 0; i < Math.min(st.length, 12); i++) {
                sb.append("  at ").append(st[i]).append('\n');
            }
        }
        return sb.toString();
    }

    /** Up to 16 bytes at RIP, read with supervisor rights and without disturbing the TLB. */
    static String codeBytes(Cpu c) {
        long csBase = c.mode64() ? 0 : c.seg[Cpu.CS].base;
        long linear = c.rip + csBase;
        StringBuilder sb = new StringBuilder();
        long savedCr2 = c.cr2;
        try {
            for (int i = 0; i < 16; i++) {
                long pa = c.mmu.translate(linear + i, Mmu.READ, false, false);
                sb.append(HexFormat.of().toHexDigits((byte) c.mmu.physRead(pa, 1))).append(' ');
            }
        } catch (RuntimeException e) {
            sb.append("(unreadable)");
        } finally {
            c.cr2 = savedCr2;
        }
        return sb.toString().trim();
    }
}
