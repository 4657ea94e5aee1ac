package dev.jvisor.vmm;

import dev.jvisor.emu.EmuHypervisor;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A VM in a process of its own, for tests that kill jvisor abruptly ({@code SIGKILL}) and then look
 * at what it left on disk. Arguments: KERNEL INITRD CMDLINE [--drive SPEC]...; the guest console
 * goes to stdout line by line; the process ends when the guest powers off (or is killed).
 */
public final class GuestProcess {
    private GuestProcess() {
    }

    public static void main(String[] args) throws Exception {
        List<DriveConfig> drives = new ArrayList<>();
        for (int i = 3; i + 1 < args.length; i += 2) {
            if (!args[i].equals("--drive")) {
                throw new IllegalArgumentException("expected --drive, got " + args[i]);
            }
            drives.add(DriveConfig.parse(args[i + 1]));
        }
        VmConfig config = new VmConfig(Path.of(args[0]), Optional.of(Path.of(args[1])), args[2], 256L << 20, 1,
                VmConfig.Accel.EMU).withDrives(drives);
        OutputStream out = new LineFlushingOutput(new FileOutputStream(FileDescriptor.out));
        try (EmuHypervisor hv = new EmuHypervisor(); VirtualMachine vm = MachineBuilder.build(config, hv, out)) {
            vm.start();
            System.exit(vm.awaitExit().exitStatus());
        }
    }

    /** Passes bytes on, flushing at each line end so the parent sees lines as they come. */
    private static final class LineFlushingOutput extends OutputStream {
        private final OutputStream out;

        LineFlushingOutput(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            if (b == '\n') {
                out.flush();
            }
        }
    }
}
