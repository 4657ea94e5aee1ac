package dev.jvisor.devices.rtc;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RtcEncodingTest {
    @Test
    void bcdAndBinary() {
        assertThat(RtcEncoding.encode(59, false)).isEqualTo(0x59);
        assertThat(RtcEncoding.encode(59, true)).isEqualTo(59);
        assertThat(RtcEncoding.decode(0x42, false)).isEqualTo(42);
        assertThat(RtcEncoding.decode(0x4A, false)).isEqualTo(RtcEncoding.INVALID);
        assertThat(RtcEncoding.decode(0xA1, false)).isEqualTo(RtcEncoding.INVALID);
        assertThat(RtcEncoding.decode(200, true)).isEqualTo(200);
    }

    @Test
    void twelveHourClockMarksPmInBitSeven() {
        assertThat(RtcEncoding.encodeHours(0, false, false)).isEqualTo(0x12); // midnight = 12 AM
        assertThat(RtcEncoding.encodeHours(12, false, false)).isEqualTo(0x92); // noon = 12 PM
        assertThat(RtcEncoding.encodeHours(23, true, false)).isEqualTo(0x80 | 11);
        assertThat(RtcEncoding.decodeHours(0x12, false, false)).isZero();
        assertThat(RtcEncoding.decodeHours(0x92, false, false)).isEqualTo(12);
        assertThat(RtcEncoding.decodeHours(0x81, false, false)).isEqualTo(13);
        assertThat(RtcEncoding.decodeHours(0x13, false, false)).isEqualTo(RtcEncoding.INVALID);
        assertThat(RtcEncoding.decodeHours(0x00, false, false)).isEqualTo(RtcEncoding.INVALID);
        assertThat(RtcEncoding.decodeHours(0x23, false, true)).isEqualTo(23);
        assertThat(RtcEncoding.decodeHours(0x24, false, true)).isEqualTo(RtcEncoding.INVALID);
    }
}
