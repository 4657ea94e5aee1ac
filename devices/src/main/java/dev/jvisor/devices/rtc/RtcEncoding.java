package dev.jvisor.devices.rtc;

/**
 * How the MC146818 stores clock values: BCD or binary (register B, DM bit), and hours in 24-hour
 * form or 12-hour form with bit 7 meaning PM (register B, 24/12 bit). Decoders return -1 for an
 * encoding that does not denote a number (a BCD nibble above 9, a 12-hour value outside 1-12).
 */
final class RtcEncoding {
    static final int INVALID = -1;
    private static final int PM = 0x80;

    private RtcEncoding() {
    }

    static int encode(int value, boolean binary) {
        return binary ? value : ((value / 10) << 4) | (value % 10);
    }

    static int decode(int raw, boolean binary) {
        if (binary) {
            return raw;
        }
        int tens = raw >>> 4;
        int ones = raw & 0x0F;
        return tens > 9 || ones > 9 ? INVALID : tens * 10 + ones;
    }

    /** Encodes an hour of the day 0-23 in the selected mode. */
    static int encodeHours(int hour24, boolean binary, boolean twentyFourHour) {
        if (twentyFourHour) {
            return encode(hour24, binary);
        }
        int hour12 = hour24 % 12 == 0 ? 12 : hour24 % 12;
        return encode(hour12, binary) | (hour24 >= 12 ? PM : 0);
    }

    /** Decodes an hours register value to an hour of the day 0-23, or {@link #INVALID}. */
    static int decodeHours(int raw, boolean binary, boolean twentyFourHour) {
        if (twentyFourHour) {
            int h = decode(raw, binary);
            return h >= 0 && h <= 23 ? h : INVALID;
        }
        int hour12 = decode(raw & ~PM, binary);
        if (hour12 < 1 || hour12 > 12) {
            return INVALID;
        }
        return hour12 % 12 + ((raw & PM) != 0 ? 12 : 0);
    }
}
