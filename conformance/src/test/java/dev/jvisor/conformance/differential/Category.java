package dev.jvisor.conformance.differential;

import static dev.jvisor.conformance.differential.Generator.oneOf;

/**
 * The families of differential cases, each with the number of cases a normal test run draws
 * (multiplied by {@code -Djvisor.diff.scale}).
 */
public enum Category {
    ALU(2000, oneOf(ArithmeticCases::alu, ArithmeticCases::alu, ArithmeticCases::test)),
    UNARY(800, ArithmeticCases::unary),
    MULTIPLY(1000, ArithmeticCases::multiply),
    DIVIDE(1000, ArithmeticCases::divide),
    SHIFT(2000, ShiftCases::shift),
    DOUBLE_SHIFT(1000, ShiftCases::doubleShift),
    BIT_TEST(1000, BitCases::bitTest),
    BIT_SCAN(800, oneOf(BitCases::bitScan, BitCases::bitScan, BitCases::repBitScan, BitCases::byteSwap)),
    MOVE(1500, oneOf(MoveCases::mov, MoveCases::mov, MoveCases::extend, MoveCases::convert, MoveCases::translate,
            MoveCases::movFromSegment)),
    EXCHANGE(1000, oneOf(MoveCases::exchange, MoveCases::compareExchange, MoveCases::compareExchange8)),
    ADDRESS(1000, AddressCases::lea),
    CONDITION(1500, oneOf(ControlCases::cmov, ControlCases::setcc, ControlCases::jcc)),
    BRANCH(800, oneOf(ControlCases::loop, ControlCases::callReturn, ControlCases::indirect)),
    STRING(1500, StringCases::string),
    STACK(1000, oneOf(StackCases::pushPop, StackCases::pushPop, StackCases::flagsRegister, StackCases::frame)),
    FLAGS(500, StackCases::flagOps),
    PREFIX(600, oneOf(PrefixCases::prefixedAlu, PrefixCases::prefixedLoad, PrefixCases::nops)),
    FAULT(300, oneOf(FaultCases::undefinedOpcode, FaultCases::breakpoint, FaultCases::badAddress)),
    PAGE_EDGE(800, oneOf(PageEdgeCases::crossingAccess, PageEdgeCases::crossingWide, PageEdgeCases::crossingPop,
            PageEdgeCases::repeatedIntoGuard, PageEdgeCases::repeatedIntoGuard)),
    SEQUENCE(1500, SequenceCases::sequence);

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
