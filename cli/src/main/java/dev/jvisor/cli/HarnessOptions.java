package dev.jvisor.cli;

import dev.jvisor.gdbstub.GdbAddress;
import dev.jvisor.gdbstub.GdbServer;
import dev.jvisor.machine.boot.BootModule;
import dev.jvisor.vmm.DebugExitConfig;
import dev.jvisor.vmm.ModuleArguments;
import dev.jvisor.vmm.VirtualMachine;
import dev.jvisor.vmm.VmConfig;
import dev.jvisor.vmm.VmException;
import dev.jvisor.vmm.trace.TraceConfig;
import dev.jvisor.vmm.trace.Tracing;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The options of {@code jvisor run} for kernel developers and test suites: the GDB stub, test
 * devices, Multiboot modules and emulator traces. Parsed into the VM's configuration before it is
 * built ({@link #apply}) and attached to the built VM before it starts ({@link #attach}).
 */
final class HarnessOptions {
    @Option(names = "--gdb", paramLabel = "tcp:HOST:PORT",
            description = "Listen for GDB's remote protocol (target remote HOST:PORT), e.g. tcp:127.0.0.1:1234.")
    String gdb;

    @Option(names = "--gdb-wait", description = "With --gdb: hold the vCPUs before the first instruction until GDB continues.")
    boolean gdbWait;

    @Option(names = "--device", paramLabel = "debug-exit[,iobase=0xf4][,iosize=4]",
            description = "Add a test device: debug-exit ends jvisor with status (v << 1) | 1 when the guest writes v.")
    List<String> devices = new ArrayList<>();

    @Option(names = "--module", paramLabel = "FILE[,STRING]",
            description = "Add a Multiboot module after the initrd (repeatable); STRING is what the kernel sees.")
    List<String> modules = new ArrayList<>();

    @Option(names = "--trace", paramLabel = "MODE[,MODE]",
            description = "Emulator trace: insn[=START-END|=SYMBOL], exc, int, io, mmio or all (implies --accel emu).")
    String trace;

    @Option(names = "--trace-file", paramLabel = "FILE", description = "Write the --trace output here (default: stderr).")
    Path traceFile;

    @Option(names = "--symbols", paramLabel = "FILE",
            description = "Name addresses in traces: a System.map, an ELF with symbols, or a kernel with kallsyms.")
    Path symbols;

    /** The back end to use: a trace needs the emulator, so {@code auto} becomes {@code emu}. */
    VmConfig.Accel accel(VmConfig.Accel requested) throws VmException {
        if (trace != null && requested == VmConfig.Accel.KVM) {
            throw new VmException("--trace needs the emulator back end; use --accel emu (or auto)");
        }
        return trace != null ? VmConfig.Accel.EMU : requested;
    }

    /** {@code config} with the modules and test devices asked for; every bad value is a VmException. */
    VmConfig apply(VmConfig config) throws VmException {
        if (gdbWait && gdb == null) {
            throw new VmException("--gdb-wait needs --gdb");
        }
        if ((traceFile != null || symbols != null) && trace == null) {
            throw new VmException((traceFile != null ? "--trace-file" : "--symbols") + " needs --trace");
        }
        if (symbols != null && !Files.isRegularFile(symbols)) {
            throw new VmException("symbols file " + symbols + " does not exist or is not a regular file");
        }
        List<BootModule> boot = new ArrayList<>();
        List<DebugExitConfig> exits = new ArrayList<>();
        try {
            for (String m : modules) {
                boot.add(ModuleArguments.parse(m));
            }
            for (String d : devices) {
                exits.add(DebugExitConfig.parse(d));
            }
            if (gdb != null) {
                GdbAddress.parse(gdb);
            }
            if (trace != null) {
                traceConfig();
            }
        } catch (IllegalArgumentException e) {
            throw new VmException(e.getMessage());
        }
        return config.withModules(boot).withDebugExits(exits);
    }

    private TraceConfig traceConfig() {
        return TraceConfig.parse(trace, Optional.ofNullable(symbols), Optional.ofNullable(traceFile));
    }

    /** What was attached to a VM: closed after the VM has ended. */
    record Attached(GdbServer gdb, Tracing tracing) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            try {
                if (gdb != null) {
                    gdb.close();
                }
            } finally {
                if (tracing != null) {
                    tracing.close();
                }
            }
        }
    }

    /** Installs the trace and the GDB stub on a built VM, before it starts. */
    Attached attach(VirtualMachine vm, PrintStream err) throws VmException {
        Tracing tracing = trace == null ? null : Tracing.install(vm, traceConfig());
        GdbServer server = null;
        if (gdb != null) {
            try {
                server = GdbServer.start(vm, GdbAddress.parse(gdb), gdbWait);
            } catch (IOException e) {
                try {
                    if (tracing != null) {
                        tracing.close();
                    }
                } catch (IOException ignored) {
                    // the bind error is the one to report
                }
                throw new VmException(e.getMessage(), e);
            }
            var a = server.address();
            err.println("jvisor: GDB stub on " + a.getHostString() + ":" + a.getPort()
                    + (gdbWait ? " (waiting for the debugger before the first instruction)" : ""));
        }
        return new Attached(server, tracing);
    }
}
