package dev.jvisor.vmm.trace;

import dev.jvisor.emu.cpu.CpuView;
import dev.jvisor.emu.cpu.ExecutionTracer;
import dev.jvisor.emu.disasm.AddressNamer;
import dev.jvisor.emu.disasm.CodeSize;
import dev.jvisor.emu.disasm.DecodedInstruction;
import dev.jvisor.emu.disasm.Disassembler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;

/**
 * Writes what the emulated CPUs do as text lines, one event per line (one tracer per vCPU, one
 * shared, synchronized output):
 *
 * <pre>
 * cpu0 insn 0x000000000010004c &lt;tick&gt;: mov    0x100020,%rax
 * cpu0 exc  vector 14 error 0x2 rip 0x0000000000401000 &lt;main+0x10&gt; cr2 0x7f0000000000
 * cpu0 int  vector 0x20 rip 0xffffffff81000010 &lt;default_idle+0x10&gt;
 * cpu0 io   out port 0x3f8 size 1 value 0x41
 * cpu0 mmio write 0xfee000b0 size 4 value 0x0
 * </pre>
 *
 * Addresses are named {@code <symbol+0xoff>} when a symbol table is given, and so are branch
 * targets in the disassembly. Only instructions inside the filter (if any) are written.
 */
public final class TraceWriter implements ExecutionTracer {
    private static final int MAX_INSTRUCTION = 15;

    private final Writer out;
    private final TraceConfig config;
    private final AddressNamer namer;
    private final TraceConfig.Range filter;
    private final Disassembler[] disassemblers = new Disassembler[3];
    private final StringBuilder line = new StringBuilder(160);

    /**
     * @param out    the shared output; writes are synchronized on it
     * @param namer  names addresses (a {@code SymbolTable}), or null
     * @param filter instructions outside this range are not written (null: all)
     */
    public TraceWriter(Writer out, TraceConfig config, AddressNamer namer, TraceConfig.Range filter) {
        this.out = out;
        this.config = config;
        this.namer = namer;
        this.filter = filter;
        for (CodeSize size : CodeSize.values()) {
            disassemblers[size.ordinal()] = new Disassembler(size, namer);
        }
    }

    @Override
    public boolean wantsInstructions() {
        return config.has(TraceConfig.Kind.INSTRUCTIONS);
    }

    @Override
    public void instruction(CpuView cpu, long linear) {
        if (filter != null && !filter.contains(linear)) {
            return;
        }
        start(cpu, "insn ");
        hex16(linear);
        name(linear);
        line.append(": ").append(disassemble(cpu, linear));
        emit();
    }

    private String disassemble(CpuView cpu, long linear) {
        byte[] code = cpu.readLinear(linear, MAX_INSTRUCTION);
        if (code == null) {
            // The instruction may end before an unmapped page: read only up to the page boundary.
            int toPageEnd = (int) (4096 - (linear & 4095));
            code = toPageEnd < MAX_INSTRUCTION ? cpu.readLinear(linear, toPageEnd) : null;
        }
        if (code == null) {
            return "(not mapped)";
        }
        DecodedInstruction insn = disassemblers[CodeSize.ofBits(cpu.codeSize()).ordinal()].decode(code, linear);
        return insn.text();
    }

    @Override
    public void exception(CpuView cpu, int vector, int errorCode, long rip, long cr2) {
        if (!config.has(TraceConfig.Kind.EXCEPTIONS)) {
            return;
        }
        start(cpu, "exc  ").append("vector ").append(vector);
        line.append(" error ").append(errorCode < 0 ? "none" : "0x" + Integer.toHexString(errorCode));
        line.append(" rip ");
        hex16(rip);
        name(rip);
        line.append(" cr2 0x").append(Long.toHexString(cr2));
        emit();
    }

    @Override
    public void interrupt(CpuView cpu, int vector, long rip) {
        if (!config.has(TraceConfig.Kind.INTERRUPTS)) {
            return;
        }
        start(cpu, "int  ").append("vector 0x").append(Integer.toHexString(vector)).append(" rip ");
        hex16(rip);
        name(rip);
        emit();
    }

    @Override
    public void port(CpuView cpu, boolean write, int port, int size, long value) {
        if (!config.has(TraceConfig.Kind.PORTS)) {
            return;
        }
        start(cpu, "io   ").append(write ? "out" : "in").append(" port 0x").append(Integer.toHexString(port));
        line.append(" size ").append(size).append(" value 0x").append(Long.toHexString(value));
        emit();
    }

    @Override
    public void mmio(CpuView cpu, boolean write, long address, int size, long value) {
        if (!config.has(TraceConfig.Kind.MMIO)) {
            return;
        }
        start(cpu, "mmio ").append(write ? "write 0x" : "read 0x").append(Long.toHexString(address));
        line.append(" size ").append(size).append(" value 0x").append(Long.toHexString(value));
        emit();
    }

    private StringBuilder start(CpuView cpu, String kind) {
        line.setLength(0);
        return line.append("cpu").append(cpu.index()).append(' ').append(kind);
    }

    private void hex16(long value) {
        line.append("0x");
        String h = Long.toHexString(value);
        for (int i = h.length(); i < 16; i++) {
            line.append('0');
        }
        line.append(h);
    }

    private void name(long address) {
        if (namer != null) {
            String n = namer.nameOf(address);
            if (n != null) {
                line.append(" <").append(n).append('>');
            }
        }
    }

    private void emit() {
        line.append('\n');
        synchronized (out) {
            try {
                out.append(line);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the trace", e);
            }
        }
    }
}
