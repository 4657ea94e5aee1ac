package dev.jvisor.devices.serial;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.devices.RecordingInterruptLines;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Register-level tests replaying what the Linux 8250 driver does (drivers/tty/serial/8250/8250_port.c). */
class Uart16550Test {
    private static final int THR = 0;
    private static final int RBR = 0;
    private static final int IER = 1;
    private static final int IIR = 2;
    private static final int FCR = 2;
    private static final int LCR = 3;
    private static final int MCR = 4;
    private static final int LSR = 5;
    private static final int MSR = 6;
    private static final int SCR = 7;
    private static final int IRQ = 4;

    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private final RecordingInterruptLines lines = new RecordingInterruptLines();
    private final Uart16550 uart = new Uart16550(output, lines, IRQ, 8);

    private int in(int reg) {
        return (int) uart.read(reg, 1);
    }

    private void out(int reg, int value) {
        uart.write(reg, 1, value);
    }

    @Test
    void passesTheLinuxAutoconfigProbe() {
        // IER test: writes of 0 and 0x0F read back, with the top nibble never sticking.
        out(IER, 0);
        assertThat(in(IER) & 0x0F).isZero();
        out(IER, 0x0F);
        assertThat(in(IER)).isEqualTo(0x0F);
        out(IER, 0xFF);
        assertThat(in(IER)).isEqualTo(0x0F); // incl. the XScale UUE bit (6)
        out(IER, 0);

        // Loopback test: MCR = LOOP | OUT2 | RTS must show DCD and CTS in MSR.
        out(MCR, Uart16550.MCR_LOOP | 0x0A);
        assertThat(in(MSR) & 0xF0).isEqualTo(0x90);
        out(MCR, 0);

        // LCR = 0xBF, write 0 to "EFR" (FCR on a 16550A), then enable FIFOs: IIR bits 7:6 = 11.
        out(LCR, 0xBF);
        out(2, 0);
        out(LCR, 0);
        out(FCR, 0x01);
        assertThat(in(IIR) >> 6).isEqualTo(3);

        // 16550A autoconfig: with DLAB set, offset 2 reads IIR (non-zero), so no EFR is detected...
        out(LCR, 0x80);
        assertThat(in(2)).isNotZero();
        out(LCR, 0xBF);
        assertThat(in(2)).isNotZero();
        // ...and IIR bit 5 stays 0 when a 64-byte FIFO is requested: not a 16750.
        out(FCR, 0x01 | 0x20);
        assertThat(in(IIR) >> 5).isEqualTo(6);
        out(LCR, 0);
        assertThat(in(IIR) >> 5).isEqualTo(6);
    }

    @Test
    void reassertsThreWhenEnabledAgain() {
        // serial8250_do_startup's UART_BUG_THRE test.
        out(FCR, 0x07);
        out(IER, Uart16550.IER_THR_EMPTY);
        int iir1 = in(IIR);
        out(IER, 0);
        out(IER, Uart16550.IER_THR_EMPTY);
        int iir = in(IIR);
        out(IER, 0);
        assertThat(iir1 & 0x0F).isEqualTo(Uart16550.IIR_THR_EMPTY);
        assertThat(iir & 0x0F).isEqualTo(Uart16550.IIR_THR_EMPTY);
        assertThat(iir & 0xC0).isEqualTo(0xC0);
    }

    @Test
    void readingIirClearsThreAndWritingThrRaisesItAgain() {
        out(MCR, Uart16550.MCR_OUT2 | Uart16550.MCR_DTR | Uart16550.MCR_RTS);
        out(IER, Uart16550.IER_THR_EMPTY);
        assertThat(lines.isHigh(IRQ)).isTrue();
        assertThat(in(IIR) & 0x0F).isEqualTo(Uart16550.IIR_THR_EMPTY);
        assertThat(in(IIR) & 0x0F).isEqualTo(Uart16550.IIR_NONE);
        assertThat(lines.isHigh(IRQ)).isFalse();

        lines.clearChanges();
        out(THR, 'A');
        // The transmitter empties at once: THRE is pending again and the line went back up.
        assertThat(lines.changes()).containsExactly(IRQ + "+");
        assertThat(in(IIR) & 0x0F).isEqualTo(Uart16550.IIR_THR_EMPTY);
        assertThat(in(LSR) & 0x60).isEqualTo(0x60);
        assertThat(output.toString(StandardCharsets.US_ASCII)).isEqualTo("A");
    }

    @Test
    void theLineNeedsOut2AndIsCutInLoopback() {
        out(IER, Uart16550.IER_THR_EMPTY);
        assertThat(in(IIR) & 0x0F).as("pending internally").isEqualTo(Uart16550.IIR_THR_EMPTY);
        out(IER, 0);
        out(IER, Uart16550.IER_THR_EMPTY);
        assertThat(lines.isHigh(IRQ)).as("no OUT2").isFalse();
        out(MCR, Uart16550.MCR_OUT2);
        assertThat(lines.isHigh(IRQ)).isTrue();
        out(MCR, Uart16550.MCR_OUT2 | Uart16550.MCR_LOOP);
        assertThat(lines.isHigh(IRQ)).isFalse();
    }

    @Test
    void transmitsToTheOutputStream() {
        for (byte b : "hello\n".getBytes(StandardCharsets.US_ASCII)) {
            assertThat(in(LSR) & Uart16550.LSR_THR_EMPTY).isNotZero();
            out(THR, b);
        }
        assertThat(output.toString(StandardCharsets.US_ASCII)).isEqualTo("hello\n");
    }

    @Test
    void receivesHostInputThroughTheFifo() {
        out(MCR, Uart16550.MCR_OUT2);
        out(FCR, 0x01 | 0x40); // FIFOs on, trigger level 4
        out(IER, Uart16550.IER_RX_DATA);
        assertThat(in(LSR) & Uart16550.LSR_DATA_READY).isZero();

        uart.offerInput(new byte[] {'a', 'b'}, 0, 2);
        assertThat(in(LSR) & Uart16550.LSR_DATA_READY).isNotZero();
        // Fewer bytes than the trigger level: the character time-out interrupt.
        assertThat(in(IIR)).isEqualTo(0xC0 | Uart16550.IIR_RX_TIMEOUT);
        assertThat(lines.isHigh(IRQ)).isTrue();

        uart.offerInput(new byte[] {'c', 'd'}, 0, 2);
        assertThat(in(IIR)).isEqualTo(0xC0 | Uart16550.IIR_RX_DATA);

        StringBuilder got = new StringBuilder();
        while ((in(LSR) & Uart16550.LSR_DATA_READY) != 0) {
            got.append((char) in(RBR));
        }
        assertThat(got).hasToString("abcd");
        assertThat(in(IIR) & 0x0F).isEqualTo(Uart16550.IIR_NONE);
        assertThat(lines.isHigh(IRQ)).isFalse();
    }

    @Test
    void withoutFifosOneByteWaitsAndTheRestStaysInTheHostBuffer() {
        out(IER, Uart16550.IER_RX_DATA);
        uart.offerInput(new byte[] {'x', 'y'}, 0, 2);
        assertThat(in(IIR)).isEqualTo(Uart16550.IIR_RX_DATA);
        assertThat(in(RBR)).isEqualTo('x');
        assertThat(in(LSR) & Uart16550.LSR_OVERRUN).isZero();
        assertThat(in(RBR)).isEqualTo('y');
        assertThat(uart.pendingInput()).isZero();
    }

    @Test
    @Timeout(60) // a lost wake-up would otherwise hang the build
    void hostInputWaitsInsteadOfOverrunning() throws Exception {
        out(FCR, 0x01);
        byte[] burst = new byte[40];
        for (int i = 0; i < burst.length; i++) {
            burst[i] = (byte) ('0' + i % 10);
        }
        // 16 bytes fit in the FIFO and 8 in the host buffer; the rest must wait, not be lost.
        int accepted = uart.offerInput(burst, 0, burst.length);
        assertThat(accepted).isEqualTo(8);
        accepted += uart.offerInput(burst, accepted, burst.length - accepted);
        assertThat(accepted).isEqualTo(16);
        accepted += uart.offerInput(burst, accepted, burst.length - accepted);
        assertThat(accepted).isEqualTo(24);
        assertThat(uart.offerInput(burst, accepted, burst.length - accepted)).isZero();

        byte[] rest = java.util.Arrays.copyOfRange(burst, accepted, burst.length);
        CompletableFuture<Void> producer = CompletableFuture.runAsync(() -> {
            try {
                uart.enqueueInput(rest);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        StringBuilder got = new StringBuilder();
        while (got.length() < burst.length) {
            if ((in(LSR) & Uart16550.LSR_DATA_READY) != 0) {
                got.append((char) in(RBR));
            } else {
                Thread.onSpinWait();
            }
        }
        producer.get(30, TimeUnit.SECONDS);
        assertThat(got).hasToString(new String(burst, StandardCharsets.US_ASCII));
        assertThat(in(LSR) & Uart16550.LSR_OVERRUN).isZero();
    }

    @Test
    void loopbackFeedsTheReceiverAndOverrunsWhenFull() {
        out(FCR, 0x01);
        out(MCR, Uart16550.MCR_LOOP);
        for (int i = 0; i < 17; i++) {
            out(THR, 'a' + i);
        }
        assertThat(output.size()).as("nothing leaves in loopback").isZero();
        out(IER, Uart16550.IER_LINE_STATUS | Uart16550.IER_RX_DATA | Uart16550.IER_THR_EMPTY);
        assertThat(in(IIR) & 0x0F).as("line status has top priority").isEqualTo(Uart16550.IIR_LINE_STATUS);
        int lsr = in(LSR);
        assertThat(lsr & (Uart16550.LSR_OVERRUN | Uart16550.LSR_DATA_READY))
                .isEqualTo(Uart16550.LSR_OVERRUN | Uart16550.LSR_DATA_READY);
        assertThat(in(LSR) & Uart16550.LSR_OVERRUN).as("cleared by reading LSR").isZero();
        assertThat(in(IIR) & 0x0F).isEqualTo(Uart16550.IIR_RX_DATA);
        for (int i = 0; i < 16; i++) {
            assertThat(in(RBR)).isEqualTo('a' + i);
        }
        assertThat(in(IIR) & 0x0F).isEqualTo(Uart16550.IIR_THR_EMPTY);
    }

    @Test
    void hostInputDoesNotEnterTheReceiverDuringLoopback() {
        out(MCR, Uart16550.MCR_LOOP);
        uart.offerInput(new byte[] {'h'}, 0, 1);
        assertThat(in(LSR) & Uart16550.LSR_DATA_READY).isZero();
        out(MCR, 0);
        assertThat(in(LSR) & Uart16550.LSR_DATA_READY).isNotZero();
        assertThat(in(RBR)).isEqualTo('h');
    }

    @Test
    void modemStatusDeltasRaiseTheLowestPriorityInterrupt() {
        assertThat(in(MSR)).as("host side looks like a ready modem").isEqualTo(0xB0);
        out(IER, Uart16550.IER_MODEM_STATUS);
        out(MCR, Uart16550.MCR_LOOP | Uart16550.MCR_OUT1);
        assertThat(in(IIR) & 0x0F).isEqualTo(Uart16550.IIR_MODEM_STATUS);
        int msr = in(MSR);
        assertThat(msr & 0xF0).isEqualTo(Uart16550.MSR_RI);
        assertThat(msr & 0x0F).isEqualTo(Uart16550.MSR_DCTS | Uart16550.MSR_DDSR | Uart16550.MSR_DDCD);
        assertThat(in(IIR) & 0x0F).isEqualTo(Uart16550.IIR_NONE);
        out(MCR, Uart16550.MCR_LOOP); // RI falls: trailing-edge indicator
        assertThat(in(MSR) & 0x0F).isEqualTo(Uart16550.MSR_TERI);
    }

    @Test
    void divisorLatchAndScratchRegister() {
        out(LCR, Uart16550.LCR_DLAB | 0x03);
        out(0, 0x01);
        out(1, 0x00);
        assertThat(in(0)).isEqualTo(0x01);
        assertThat(in(1)).isEqualTo(0x00);
        out(LCR, 0x03);
        assertThat(in(LCR)).isEqualTo(0x03);
        assertThat(in(IER)).isZero();
        out(THR, 'z');
        assertThat(output.toByteArray()).containsExactly('z');
        out(SCR, 0x5A);
        assertThat(in(SCR)).isEqualTo(0x5A);
    }

    @Test
    void aFailingOutputStreamLosesBytesButNotTheGuest() {
        OutputStream broken = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("console closed");
            }
        };
        Uart16550 u = new Uart16550(broken, lines, IRQ);
        u.write(THR, 1, 'q');
        u.write(THR, 1, 'r');
        assertThat(u.outputErrors()).isEqualTo(2);
        assertThat(u.read(LSR, 1) & Uart16550.LSR_THR_EMPTY).isNotZero();
    }
}
