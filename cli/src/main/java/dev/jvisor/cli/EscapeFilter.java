package dev.jvisor.cli;

import java.io.ByteArrayOutputStream;

/**
 * The console's escape sequences, as QEMU's {@code -nographic} has them: {@code Ctrl-A x} quits,
 * {@code Ctrl-A Ctrl-A} sends one Ctrl-A to the guest, and Ctrl-A followed by anything else is
 * swallowed. Keystrokes are fed in chunks; the state carries over between chunks.
 */
final class EscapeFilter {
    static final int ESCAPE = 0x01; // Ctrl-A

    private boolean escaped;
    private boolean quit;

    /** Filters {@code n} bytes of {@code in}; returns what goes to the guest. */
    byte[] filter(byte[] in, int n) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(n);
        for (int i = 0; i < n && !quit; i++) {
            int b = in[i] & 0xff;
            if (escaped) {
                escaped = false;
                if (b == 'x' || b == 'X') {
                    quit = true;
                } else if (b == ESCAPE) {
                    out.write(b);
                }
            } else if (b == ESCAPE) {
                escaped = true;
            } else {
                out.write(b);
            }
        }
        return out.toByteArray();
    }

    /** Whether {@code Ctrl-A x} was typed. */
    boolean quitRequested() {
        return quit;
    }
}
