package dev.jvisor.testkit;

/** Segment registers with their encoding numbers (Intel SDM Vol. 2A §3.1.1.3, "Sreg"). */
public enum SegReg {
    ES(0, 0x26), CS(1, 0x2e), SS(2, 0x36), DS(3, 0x3e), FS(4, 0x64), GS(5, 0x65);

    private final int code;
    private final int overridePrefix;

    SegReg(int code, int overridePrefix) {
        this.code = code;
        this.overridePrefix = overridePrefix;
    }

    /** Number in the ModRM reg field of MOV Sreg (8C/8E). */
    public int code() {
        return code;
    }

    /** The segment-override prefix byte (SDM Vol. 2A §2.1.1, group 2). */
    public int overridePrefix() {
        return overridePrefix;
    }
}
