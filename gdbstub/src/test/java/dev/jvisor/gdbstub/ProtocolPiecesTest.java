package dev.jvisor.gdbstub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvisor.hypervisor.DebugSettings;
import dev.jvisor.hypervisor.FpuState;
import dev.jvisor.hypervisor.VcpuExit;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The stub's building blocks without a VM: framing, escaping, addresses, the x87 tag word, debug points. */
class ProtocolPiecesTest {
    @Test
    void framesCarryTheModulo256Checksum() {
        assertThat(new String(PacketCodec.frame("OK"), StandardCharsets.US_ASCII)).isEqualTo("$OK#9a");
        assertThat(new String(PacketCodec.frame(""), StandardCharsets.US_ASCII)).isEqualTo("$#00");
        assertThat(new String(PacketCodec.frame("?"), StandardCharsets.US_ASCII)).isEqualTo("$?#3f");
    }

    @Test
    void escapingRoundTripsTheFourSpecialBytes() {
        byte[] data = {'a', '$', '#', '}', '*', 0, (byte) 0xff};
        String escaped = PacketCodec.escape(data, 0, data.length);
        assertThat(escaped).doesNotContain("$", "#", "*").hasSize(data.length + 4);
        byte[] back = PacketCodec.unescape(escaped.getBytes(StandardCharsets.ISO_8859_1), 0, escaped.length());
        assertThat(back).isEqualTo(data);
        assertThatThrownBy(() -> PacketCodec.unescape(new byte[]{'a', 0x7d}, 0, 2)).isInstanceOf(ProtocolException.class);
    }

    @Test
    void hexHelpers() {
        assertThat(Hex.parse("ffffffff81000000")).isEqualTo(0xffff_ffff_8100_0000L);
        assertThatThrownBy(() -> Hex.parse("12345678901234567")).isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> Hex.parse("")).isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> Hex.decode("abc")).isInstanceOf(ProtocolException.class);
        StringBuilder sb = new StringBuilder();
        Hex.appendLittleEndian(sb, 0x1122334455667788L, 8);
        assertThat(sb).hasToString("8877665544332211");
        assertThat(Hex.littleEndian(Hex.decode("8877665544332211"), 0, 8)).isEqualTo(0x1122334455667788L);
    }

    @Test
    void addressesDefaultToLoopback() {
        assertThat(GdbAddress.parse("tcp:127.0.0.1:1234")).isEqualTo(new GdbAddress("127.0.0.1", 1234));
        assertThat(GdbAddress.parse("tcp::1234")).isEqualTo(new GdbAddress("127.0.0.1", 1234));
        assertThat(GdbAddress.parse(":1234")).isEqualTo(new GdbAddress("127.0.0.1", 1234));
        assertThat(GdbAddress.parse("1234")).isEqualTo(new GdbAddress("127.0.0.1", 1234));
        assertThat(GdbAddress.parse("tcp:0.0.0.0:9")).isEqualTo(new GdbAddress("0.0.0.0", 9));
        assertThat(GdbAddress.parse("tcp:[::1]:9")).isEqualTo(new GdbAddress("::1", 9));
        assertThatThrownBy(() -> GdbAddress.parse("unix:/tmp/s")).hasMessageContaining("only tcp");
        assertThatThrownBy(() -> GdbAddress.parse("tcp:host:70000")).hasMessageContaining("0 to 65535");
        assertThatThrownBy(() -> GdbAddress.parse("tcp:host:")).hasMessageContaining("not a port number");
    }

    @Test
    void fullTagWordClassifiesEveryRegister() {
        byte[] st = new byte[80];
        // ST(0) = 1.0 (exponent 0x3fff, integer bit), ST(1) = +0, ST(2) = infinity; TOP = 5.
        st[7] = (byte) 0x80;
        st[8] = (byte) 0xff;
        st[9] = 0x3f;
        st[27] = (byte) 0x80;
        st[28] = (byte) 0xff;
        st[29] = 0x7f;
        int fsw = 5 << 11;
        int abridged = (1 << 5) | (1 << 6) | (1 << 7); // physical registers 5, 6, 7 hold ST(0..2)
        FpuState f = new FpuState(st, 0x37f, fsw, abridged, 0, 0, 0, new byte[256], 0x1f80);
        // Physical 5 valid (00), 6 zero (01), 7 special (10), the rest empty (11).
        assertThat(X87Tags.fullTagWord(f)).isEqualTo(0b10_01_00_11_11_11_11_11);
        assertThat(X87Tags.fullTagWord(FpuState.initial())).isEqualTo(0xffff);
    }

    @Test
    void debugPointsBecomeSettingsAndRollBack() {
        DebugPoints p = new DebugPoints();
        assertThat(p.change(true, 0, 0x1000, 1)).isTrue();
        assertThat(p.change(true, 1, 0x2000, 1)).isTrue();
        assertThat(p.change(true, 3, 0x3000, 4)).isTrue();
        assertThat(p.change(true, 7, 0x3000, 4)).isFalse();
        DebugSettings s = p.settings(true);
        assertThat(s.singleStep()).isTrue();
        assertThat(s.breakpoints()).containsExactly(0x1000L, 0x2000L);
        assertThat(s.watchpoints()).containsExactly(new DebugSettings.Watchpoint(0x3000, 4, DebugSettings.Kind.READ));
        assertThat(p.isSoftwareBreakpoint(0x1000)).isTrue();
        assertThat(p.isSoftwareBreakpoint(0x2000)).isFalse();
        assertThat(p.watchKind(0x3000)).isEqualTo(DebugSettings.Kind.READ);
        DebugPoints saved = p.copy();
        p.change(false, 0, 0x1000, 1);
        assertThat(p.stillInserted(new VcpuExit.Debug(VcpuExit.Debug.Reason.BREAKPOINT, 0x1000))).isFalse();
        p.restoreFrom(saved);
        assertThat(p.stillInserted(new VcpuExit.Debug(VcpuExit.Debug.Reason.BREAKPOINT, 0x1000))).isTrue();
        assertThatThrownBy(() -> p.change(true, 2, 0x10, 16)).isInstanceOf(ProtocolException.class);
    }
}
