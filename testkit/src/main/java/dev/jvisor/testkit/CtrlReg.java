package dev.jvisor.testkit;

/** Control registers reachable with MOV CRn (0F 20 / 0F 22; CR8 needs REX.R, SDM Vol. 2B "MOV—Move to/from Control Registers"). */
public enum CtrlReg {
    CR0(0), CR2(2), CR3(3), CR4(4), CR8(8);

    private final int code;

    CtrlReg(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }
}
