package dev.jvisor.vmm.trace;

import dev.jvisor.emu.EmuVcpu;
import dev.jvisor.emu.disasm.Symbol;
import dev.jvisor.emu.disasm.SymbolTable;
import dev.jvisor.hypervisor.Vcpu;
import dev.jvisor.vmm.VirtualMachine;
import dev.jvisor.vmm.VmException;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;

/**
 * Installs {@code --trace} on a built VM: loads the symbols, opens the output, and gives every
 * emulated vCPU a {@link TraceWriter}. Only the emulator can trace; on KVM this is an error. Close
 * it after the VM has ended to flush the file.
 */
public final class Tracing implements AutoCloseable {
    private final Writer out;
    private final boolean closeOut;

    private Tracing(Writer out, boolean closeOut) {
        this.out = out;
        this.closeOut = closeOut;
    }

    /**
     * Installs the tracers. Call after {@link dev.jvisor.vmm.MachineBuilder#build} and before
     * {@link VirtualMachine#start()}.
     *
     * @throws VmException if the back end is not the emulator, the symbols cannot be read, the
     *                     filter's symbol is unknown or the output cannot be created
     */
    public static Tracing install(VirtualMachine vm, TraceConfig config) throws VmException {
        List<? extends Vcpu> vcpus = vm.vm().vcpus();
        if (!(vcpus.getFirst() instanceof EmuVcpu)) {
            throw new VmException("--trace needs the emulator back end (--accel emu); this VM runs on " + vm.backend());
        }
        SymbolTable symbols = null;
        if (config.symbols().isPresent()) {
            try {
                symbols = SymbolTable.load(config.symbols().get());
            } catch (IOException | IllegalArgumentException e) {
                throw new VmException("--symbols " + config.symbols().get() + ": " + e.getMessage(), e);
            }
        }
        TraceConfig.Range filter = config.range().orElse(null);
        if (config.symbol().isPresent()) {
            filter = functionRange(symbols, config.symbol().get());
        }
        Writer out;
        boolean closeOut;
        try {
            if (config.output().isPresent()) {
                out = Files.newBufferedWriter(config.output().get(), StandardCharsets.UTF_8);
                closeOut = true;
            } else {
                out = new BufferedWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8));
                closeOut = false;
            }
        } catch (IOException e) {
            throw new VmException("--trace-file " + config.output().get() + ": cannot create it: " + e.getMessage(), e);
        }
        for (Vcpu v : vcpus) {
            ((EmuVcpu) v).setTracer(new TraceWriter(out, config, symbols, filter));
        }
        return new Tracing(out, closeOut);
    }

    /** The addresses of the named function: its size when known, else up to the next symbol. */
    static TraceConfig.Range functionRange(SymbolTable symbols, String name) throws VmException {
        Symbol s = symbols.find(name).orElseThrow(() -> new VmException("--trace insn=" + name
                + ": no such symbol in the --symbols file"));
        if (s.size() > 0) {
            return new TraceConfig.Range(s.address(), s.address() + s.size());
        }
        for (Symbol next : symbols.symbols()) {
            if (Long.compareUnsigned(next.address(), s.address()) > 0) {
                return new TraceConfig.Range(s.address(), next.address());
            }
        }
        return new TraceConfig.Range(s.address(), s.address() + 1);
    }

    /** Flushes the trace (and closes its file). */
    @Override
    public void close() throws IOException {
        synchronized (out) {
            if (closeOut) {
                out.close();
            } else {
                out.flush();
            }
        }
    }
}
