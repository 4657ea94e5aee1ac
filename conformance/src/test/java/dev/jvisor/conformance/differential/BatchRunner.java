package dev.jvisor.conformance.differential;

import dev.jvisor.conformance.Backend;
import dev.jvisor.conformance.GuestVm;
import dev.jvisor.hypervisor.VcpuExit;
import dev.jvisor.memory.GuestMemory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Runs a {@link BatchProgram} on one back end and reads every case's result back from guest memory. */
public final class BatchRunner {
    /** Generous: a batch takes milliseconds on both back ends when nothing goes wrong. */
    static final Duration WATCHDOG = Duration.ofSeconds(60);

    /**
     * What a back end did with a batch.
     *
     * @param results  one result per case that completed (all of them, unless the run ended early)
     * @param problem  null, or why the run did not reach the end of the batch
     * @param stopCase the case running when it stopped early, or -1
     */
    public record Outcome(Backend backend, List<CaseResult> results, String problem, int stopCase) {
    }

    private BatchRunner() {
    }

    public static Outcome run(Backend backend, BatchProgram program) {
        try (GuestVm vm = GuestVm.boot(backend, program.guest(), program.ramBytes())) {
            program.prepare(vm.memory(), vm.vcpu());
            GuestVm.Run run = vm.run(WATCHDOG);
            Long exitValue = vm.machine().exitValue(0);
            String problem = null;
            int stopCase = -1;
            int completed = program.cases().size();
            if (run.watchdogFired() || !(run.exit() instanceof VcpuExit.Kicked) || exitValue == null) {
                long rip = vm.vcpu().getRegisters().rip();
                stopCase = program.caseAt(rip);
                completed = Math.max(stopCase, 0);
                problem = String.format("%s run did not finish the batch: %s%s at rip 0x%x (case %d)", backend,
                        run.exit(), run.watchdogFired() ? " after the watchdog fired" : "", rip, stopCase);
            }
            return new Outcome(backend, read(vm.memory(), program, completed), problem, stopCase);
        }
    }

    private static List<CaseResult> read(GuestMemory memory, BatchProgram program, int count) {
        List<CaseResult> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            ByteBuffer r = ByteBuffer.wrap(memory.read(BatchProgram.RESULTS + (long) i * BatchProgram.BLOCK, BatchProgram.BLOCK))
                    .order(ByteOrder.LITTLE_ENDIAN);
            long[] gprs = new long[16];
            for (int g = 0; g < 16; g++) {
                gprs[g] = r.getLong(8 * g);
            }
            long[] xmm = new long[32];
            for (int x = 0; x < 32; x++) {
                xmm[x] = r.getLong(BatchProgram.XMM_OFFSET + 8 * x);
            }
            int mxcsr = (int) r.getLong(8 * BatchProgram.Q_MXCSR);
            X87State x87 = null;
            if (program.cases().get(i).x87()) {
                byte[] image = new byte[X87State.IMAGE];
                r.get(BatchProgram.FX_OFFSET, image);
                ByteBuffer fx = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
                for (int x = 0; x < 32; x++) {
                    xmm[x] = fx.getLong(X87State.XMM + 8 * x);
                }
                mxcsr = fx.getInt(X87State.MXCSR);
                x87 = X87State.fromImage(image);
            }
            CpuState state = new CpuState(gprs, r.getLong(8 * BatchProgram.Q_RFLAGS), xmm, mxcsr, x87);
            int vector = (int) r.getLong(8 * BatchProgram.Q_VECTOR);
            byte[] slot = memory.read(BatchProgram.slotBase(i), CaseBuilder.SLOT_SIZE);
            out.add(new CaseResult(state, vector, r.getLong(8 * BatchProgram.Q_ERROR), r.getLong(8 * BatchProgram.Q_RIP),
                    r.getLong(8 * BatchProgram.Q_CR2), slot));
        }
        return out;
    }
}
