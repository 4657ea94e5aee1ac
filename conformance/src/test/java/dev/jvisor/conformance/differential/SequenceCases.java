package dev.jvisor.conformance.differential;

/**
 * Short random sequences (2 to 8 instructions) mixing the families whose undefined flags do not
 * depend on runtime values, so that lazily evaluated flags, partial-register merges and
 * flag consumers meet each other as they do in compiled code. A step that would read a flag an
 * earlier step left undefined is refused and redrawn (see {@link CaseBuilder#step}).
 */
final class SequenceCases {
    private static final Generator[] PARTS = {
        ArithmeticCases::alu, ArithmeticCases::alu, ArithmeticCases::test, ArithmeticCases::unary,
        ArithmeticCases::multiply, ShiftCases::shift, ShiftCases::doubleShift, MoveCases::mov, MoveCases::extend,
        MoveCases::exchange, MoveCases::compareExchange, MoveCases::convert, AddressCases::lea, BitCases::byteSwap,
        BitCases::bitTest, ControlCases::cmov, ControlCases::setcc, ControlCases::jcc, StackCases::flagOps,
        SequenceCases::pushPop};

    private SequenceCases() {
    }

    static void sequence(CaseBuilder b) {
        b.sequenceMode();
        int length = 2 + b.random().nextInt(7);
        for (int i = 0; i < length; i++) {
            drawStep(b);
        }
        b.form("sequence");
    }

    /** Draws parts until one fits (a part may be refused because it reads an undefined flag). */
    private static void drawStep(CaseBuilder b) {
        for (int tries = 0; ; tries++) {
            try {
                PARTS[b.random().nextInt(PARTS.length)].generate(b);
                return;
            } catch (IllegalArgumentException e) {
                if (tries > 50) {
                    throw e;
                }
            }
        }
    }

    /** PUSH r64 / POP r64 only: the stack pointer itself is never an operand in sequences. */
    private static void pushPop(CaseBuilder b) {
        var r = b.reg(64);
        if (b.oneIn(2)) {
            b.step("push " + CaseBuilder.t(r), a -> a.push(r));
        } else {
            b.step("pop " + CaseBuilder.t(r), a -> a.pop(r));
        }
    }
}
