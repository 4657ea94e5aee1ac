package dev.jvisor.conformance.differential;

import static dev.jvisor.conformance.differential.Generator.oneOf;

/**
 * The families of differential cases, each with the number of cases a normal test run draws
 * (multiplied by {@code -Djvisor.diff.scale}).
 */
public enum Category {
    ALU(6000, oneOf(ArithmeticCases::alu, ArithmeticCases::alu, ArithmeticCases::test)),
    UNARY(2400, ArithmeticCases::unary),
    MULTIPLY(3000, ArithmeticCases::multiply),
    DIVIDE(3000, ArithmeticCases::divide),
    SHIFT(6000, ShiftCases::shift),
    DOUBLE_SHIFT(3000, ShiftCases::doubleShift),
    BIT_TEST(3000, BitCases::bitTest),
    BIT_SCAN(2400, oneOf(BitCases::bitScan, BitCases::bitScan, BitCases::repBitScan, BitCases::byteSwap)),
    MOVE(4500, oneOf(MoveCases::mov, MoveCases::mov, MoveCases::extend, MoveCases::convert, MoveCases::translate,
            MoveCases::movFromSegment, MoveCases::movsxd32)),
    EXCHANGE(3000, oneOf(MoveCases::exchange, MoveCases::compareExchange, MoveCases::compareExchange8)),
    ADDRESS(3000, AddressCases::lea),
    CONDITION(4500, oneOf(ControlCases::cmov, ControlCases::setcc, ControlCases::jcc)),
    BRANCH(2400, oneOf(ControlCases::loop, ControlCases::callReturn, ControlCases::indirect)),
    STRING(4500, StringCases::string),
    STACK(3000, oneOf(StackCases::pushPop, StackCases::pushPop, StackCases::flagsRegister, StackCases::frame)),
    FLAGS(1500, StackCases::flagOps),
    PREFIX(1800, oneOf(PrefixCases::prefixedAlu, PrefixCases::prefixedLoad, PrefixCases::nops)),
    FAULT(900, oneOf(FaultCases::undefinedOpcode, FaultCases::breakpoint, FaultCases::badAddress)),
    PAGE_EDGE(2400, oneOf(PageEdgeCases::crossingAccess, PageEdgeCases::crossingWide, PageEdgeCases::crossingPop,
            PageEdgeCases::repeatedIntoGuard, PageEdgeCases::repeatedIntoGuard)),
    CODE(1500, oneOf(CodeCases::selfModifying, CodeCases::selfModifying, CodeCases::lengthLimit, CodeCases::branchHint,
            CodeCases::userIretq, CodeCases::hints)),
    SEQUENCE(4500, SequenceCases::sequence);

    private final int defaultCount;
    private final Generator generator;

    Category(int defaultCount, Generator generator) {
        this.defaultCount = defaultCount;
        this.generator = generator;
    }

    public int defaultCount() {
        return defaultCount;
    }

    public Generator generator() {
        return generator;
    }

    /** The lower-case name used in reports and system properties. */
    public String label() {
        return name().toLowerCase().replace('_', '-');
    }
}
