package dev.jvisor.cli;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** The smallest valid Multiboot ELF32 kernel (it halts): enough to reach the loader's size checks. */
final class TestKernelImage {
    private TestKernelImage() {
    }

    static byte[] multiboot() {
        int magic = 0x1BADB002, flags = 0x3;
        ByteBuffer code = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        code.putInt(magic).putInt(flags).putInt(-(magic + flags));
        code.put((byte) 0xf4).put((byte) 0xeb).put((byte) 0xfd); // hlt; jmp $-1
        byte[] text = code.array();
        int off = 0x1000;
        long addr = 0x10_0000;
        ByteBuffer b = ByteBuffer.allocate(off + text.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[]{0x7f, 'E', 'L', 'F', 1, 1, 1, 0});
        b.position(16);
        b.putShort((short) 2).putShort((short) 3).putInt(1);
        b.putInt((int) addr + 12).putInt(52).putInt(0).putInt(0);
        b.putShort((short) 52).putShort((short) 32).putShort((short) 1);
        b.putShort((short) 40).putShort((short) 0).putShort((short) 0);
        b.putInt(1).putInt(off).putInt((int) addr).putInt((int) addr);
        b.putInt(text.length).putInt(text.length).putInt(7).putInt(0x1000);
        b.position(off);
        b.put(text);
        return b.array();
    }
}
