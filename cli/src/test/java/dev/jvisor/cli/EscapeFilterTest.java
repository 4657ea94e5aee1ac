package dev.jvisor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class EscapeFilterTest {
    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void ctrlAXQuitsAndWhatCameBeforeStillReachesTheGuest() {
        EscapeFilter f = new EscapeFilter();
        byte[] in = bytes("ls\n\u0001x");
        assertThat(f.filter(in, in.length)).isEqualTo(bytes("ls\n"));
        assertThat(f.quitRequested()).isTrue();
    }

    @Test
    void doubledCtrlASendsOneAndOtherEscapesAreSwallowed() {
        EscapeFilter f = new EscapeFilter();
        byte[] in = bytes("a\u0001\u0001b\u0001cd");
        assertThat(f.filter(in, in.length)).isEqualTo(bytes("a\u0001bd"));
        assertThat(f.quitRequested()).isFalse();
    }

    @Test
    void anEscapeSplitAcrossReadsStillWorks() {
        EscapeFilter f = new EscapeFilter();
        byte[] first = bytes("echo hi\u0001");
        assertThat(f.filter(first, first.length)).isEqualTo(bytes("echo hi"));
        assertThat(f.quitRequested()).isFalse();
        byte[] second = bytes("X");
        assertThat(f.filter(second, second.length)).isEmpty();
        assertThat(f.quitRequested()).isTrue();
    }

    @Test
    void ctrlCAndOtherControlKeysPassThrough() {
        EscapeFilter f = new EscapeFilter();
        byte[] in = {3, 4, 26, 27};
        assertThat(f.filter(in, in.length)).containsExactly(3, 4, 26, 27);
    }
}
