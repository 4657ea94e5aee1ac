package dev.jvisor.machine.boot;

import dev.jvisor.machine.PlatformLayout;

/** Places the kernel command line at {@link PlatformLayout#CMDLINE}, NUL terminated. */
final class CommandLine {
    private CommandLine() {
    }

    /**
     * Claims and writes the command line.
     *
     * @param maxLength the longest command line (bytes, without the NUL) the kernel accepts
     * @param limitName what {@code maxLength} is called, for the error message
     * @return the guest address of the string
     */
    static long write(GuestPlacement placement, String cmdline, long maxLength, String limitName)
            throws KernelLoadException {
        byte[] bytes = ImageFiles.cString(cmdline, "kernel command line");
        long length = bytes.length - 1;
        long limit = Math.min(maxLength, PlatformLayout.CMDLINE_MAX - 1);
        if (length > limit) {
            String name = limit == maxLength ? limitName : "board's command line area";
            throw new KernelLoadException(String.format(
                    "kernel command line of %d bytes is longer than the %s (%d bytes)", length, name, limit));
        }
        placement.claim("command line", PlatformLayout.CMDLINE, bytes.length);
        placement.memory().write(PlatformLayout.CMDLINE, bytes);
        return PlatformLayout.CMDLINE;
    }
}
