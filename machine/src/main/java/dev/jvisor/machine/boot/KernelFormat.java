package dev.jvisor.machine.boot;

/** The kernel image formats {@link KernelLoader} recognises, and how each is entered. */
public enum KernelFormat {
    /** Linux bzImage, entered at its 64-bit entry point (boot.rst "64-bit BOOT PROTOCOL"). */
    BZIMAGE,
    /** ELF64 vmlinux without a PVH note, entered at e_entry in long mode with a zero page. */
    ELF_LINUX64,
    /** ELF with a Xen PVH entry note, entered in 32-bit protected mode with an hvm_start_info. */
    ELF_PVH,
    /** Multiboot v1 kernel in ELF format, loaded by its program headers. */
    MULTIBOOT_ELF,
    /** Multiboot v1 kernel loaded by the header's address fields (the "a.out kludge"). */
    MULTIBOOT_AOUT
}
