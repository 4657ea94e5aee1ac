package dev.jvisor.server.guest;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Tiny Multiboot (v1) kernels, hand-assembled, for the lifecycle benchmark, the Firecracker
 * endpoint's tests and the service's tests: each is a 32-bit ELF whose code is a few instructions at
 * {@link #LOAD_ADDRESS}. They run on both back ends (KVM emulates their 32-bit code in the host
 * kernel on these hosts; see PLATFORM.md).
 *
 * <p>Encodings are from the Intel SDM Vol. 2 opcode tables; in 32-bit code a 16-bit operand needs the
 * 0x66 prefix.
 */
public final class TinyKernels {
    /** Where the code is loaded (1 MiB, above the legacy hole). */
    public static final long LOAD_ADDRESS = 0x10_0000;
    private static final int MULTIBOOT_MAGIC = 0x1BADB002;

    private TinyKernels() {
    }

    /** How a kernel ends after printing its marker. */
    public enum Ending {
        /** {@code cli; hlt}: the vCPU sleeps for good (in KVM_RUN, or in the emulator's halt wait); the VM stays up until stopped. */
        HALT,
        /** {@code sti; hlt} in a loop: an idle CPU that waits for interrupts that never come (for emulated VMs). */
        IDLE,
        /** An endless {@code jmp $}: a busy CPU. */
        SPIN,
        /** ACPI S5 through PM1a_CNT: the guest powers off. */
        POWER_OFF,
        /** An empty IDT and {@code ud2}: a triple fault. */
        TRIPLE_FAULT,
        /** Command 0xFE to the i8042: the guest resets the machine. */
        RESET
    }

    /**
     * A kernel that writes {@code marker} (ASCII, may be empty) to COM1 and then ends as {@code ending}
     * says.
     */
    public static byte[] kernel(String marker, Ending ending) {
        ByteArrayOutputStream code = new ByteArrayOutputStream();
        // Multiboot header (Multiboot 0.6.96 §3.1.1): magic, flags 0, checksum; the entry follows it.
        le32(code, MULTIBOOT_MAGIC);
        le32(code, 0);
        le32(code, -MULTIBOOT_MAGIC);
        code.write(0xBC); // mov esp, 0x90000
        le32(code, 0x9_0000);
        if (!marker.isEmpty()) {
            code.writeBytes(new byte[]{0x66, (byte) 0xBA, (byte) 0xF8, 0x03}); // mov dx, 0x3f8 (COM1)
            for (char c : marker.toCharArray()) {
                if (c > 0x7f) {
                    throw new IllegalArgumentException("the marker must be ASCII");
                }
                code.writeBytes(new byte[]{(byte) 0xB0, (byte) c, (byte) 0xEE}); // mov al, c; out dx, al
            }
        }
        switch (ending) {
            case HALT -> code.writeBytes(new byte[]{(byte) 0xFA, (byte) 0xF4, (byte) 0xEB, (byte) 0xFD}); // cli; hlt; jmp hlt
            case IDLE -> code.writeBytes(new byte[]{(byte) 0xFB, (byte) 0xF4, (byte) 0xEB, (byte) 0xFD}); // sti; hlt; jmp hlt
            case SPIN -> code.writeBytes(new byte[]{(byte) 0xEB, (byte) 0xFE}); // jmp $
            case POWER_OFF -> {
                // ACPI 6.4 §4.8.3.2.1: SLP_TYP (5 = S5 on this board) in bits 10-12, SLP_EN bit 13.
                code.writeBytes(new byte[]{0x66, (byte) 0xBA, 0x04, 0x06}); // mov dx, 0x604 (PM1a_CNT)
                code.writeBytes(new byte[]{0x66, (byte) 0xB8, 0x00, 0x34}); // mov ax, 0x3400
                code.writeBytes(new byte[]{0x66, (byte) 0xEF}); // out dx, ax
                code.writeBytes(new byte[]{(byte) 0xFA, (byte) 0xF4, (byte) 0xEB, (byte) 0xFD});
            }
            case TRIPLE_FAULT -> {
                code.writeBytes(new byte[]{0x6A, 0x00, 0x6A, 0x00}); // push 0; push 0
                code.writeBytes(new byte[]{0x0F, 0x01, 0x1C, 0x24}); // lidt [esp]: limit 0, no vector deliverable
                code.writeBytes(new byte[]{0x0F, 0x0B}); // ud2 -> #UD -> #DF -> triple fault
            }
            case RESET -> {
                code.writeBytes(new byte[]{(byte) 0xB0, (byte) 0xFE, (byte) 0xE6, 0x64}); // mov al, 0xfe; out 0x64, al
                code.writeBytes(new byte[]{(byte) 0xFA, (byte) 0xF4, (byte) 0xEB, (byte) 0xFD});
            }
        }
        return elf32(code.toByteArray(), LOAD_ADDRESS, LOAD_ADDRESS + 12);
    }

    private static void le32(ByteArrayOutputStream out, int v) {
        out.write(v);
        out.write(v >>> 8);
        out.write(v >>> 16);
        out.write(v >>> 24);
    }

    /**
     * An ELF32 executable (System V ABI, i386 supplement) with one loadable segment holding
     * {@code code} at {@code address}, the code at file offset 0x1000 (inside the first 8 KiB, where
     * a Multiboot loader looks for the header).
     */
    static byte[] elf32(byte[] code, long address, long entry) {
        int codeOffset = 0x1000;
        ByteBuffer b = ByteBuffer.allocate(codeOffset + code.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[]{0x7f, 'E', 'L', 'F', 1 /* 32-bit */, 1 /* little-endian */, 1 /* version */});
        b.position(16);
        b.putShort((short) 2); // e_type ET_EXEC
        b.putShort((short) 3); // e_machine EM_386
        b.putInt(1); // e_version
        b.putInt((int) entry);
        b.putInt(52); // e_phoff: right after the 52-byte header
        b.putInt(0); // e_shoff: no sections
        b.putInt(0); // e_flags
        b.putShort((short) 52); // e_ehsize
        b.putShort((short) 32); // e_phentsize
        b.putShort((short) 1); // e_phnum
        b.putShort((short) 40); // e_shentsize
        b.putShort((short) 0); // e_shnum
        b.putShort((short) 0); // e_shstrndx
        b.putInt(1); // p_type PT_LOAD
        b.putInt(codeOffset); // p_offset
        b.putInt((int) address); // p_vaddr
        b.putInt((int) address); // p_paddr
        b.putInt(code.length); // p_filesz
        b.putInt(code.length); // p_memsz
        b.putInt(7); // p_flags RWX
        b.putInt(0x1000); // p_align
        b.position(codeOffset);
        b.put(code);
        return b.array();
    }
}
