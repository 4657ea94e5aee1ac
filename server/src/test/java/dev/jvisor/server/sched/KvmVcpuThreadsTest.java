package dev.jvisor.server.sched;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The weight → nice mapping of KVM vCPU threads and how it is applied, against a fake host kernel
 * (with and without the right to lower nice values, with failing calls).
 */
class KvmVcpuThreadsTest {
    /** Threads with nice values and affinities; lowering a nice value fails unless {@code canLower}. */
    static final class FakeHost implements KvmVcpuThreads.Host {
        final Map<Integer, Integer> nice = new java.util.TreeMap<>();
        final Map<Integer, CpuSet> affinity = new HashMap<>();
        final Map<Integer, String> names = new HashMap<>();
        boolean canLower = true;
        int failNice;
        int failAffinity;

        void thread(int tid) {
            nice.put(tid, 0);
        }

        @Override
        public int nice(int tid) {
            return nice.getOrDefault(tid, Integer.MIN_VALUE);
        }

        @Override
        public int setNice(int tid, int n) {
            if (failNice != 0) {
                return failNice;
            }
            if (!nice.containsKey(tid)) {
                return HostThreads.ESRCH;
            }
            if (n < nice.get(tid) && !canLower) {
                return HostThreads.EACCES;
            }
            nice.put(tid, n);
            return 0;
        }

        @Override
        public int setAffinity(int tid, CpuSet cpus) {
            if (failAffinity != 0) {
                return failAffinity;
            }
            affinity.put(tid, cpus);
            return 0;
        }

        @Override
        public String describe(int errno) {
            return "errno " + errno;
        }

        @Override
        public int[] threads() {
            return nice.keySet().stream().mapToInt(Integer::intValue).toArray();
        }

        @Override
        public String name(int tid) {
            return nice.containsKey(tid) ? names.getOrDefault(tid, "thread-" + tid) : null;
        }

        @Override
        public CpuSet affinity(int tid) {
            return nice.containsKey(tid) ? affinity.getOrDefault(tid, CpuSet.parse("0-3")) : null;
        }
    }

    private final FakeHost host = new FakeHost();
    private final KvmVcpuThreads threads = new KvmVcpuThreads(host, CpuSet.parse("0-3"), 0);

    @Test
    void theHeaviestWeightGetsNiceZeroAndEachFactorOf125OneStepMore() {
        assertThat(KvmVcpuThreads.niceFor(300, 300)).isZero();
        assertThat(KvmVcpuThreads.niceFor(100, 300)).isEqualTo(5);    // log 3 / log 1.25 = 4.92
        assertThat(KvmVcpuThreads.niceFor(100, 100)).isZero();
        assertThat(KvmVcpuThreads.niceFor(100, 125)).isEqualTo(1);
        assertThat(KvmVcpuThreads.niceFor(100, 200)).isEqualTo(3);    // 3.11
        assertThat(KvmVcpuThreads.niceFor(100, 1000)).isEqualTo(10);  // 10.3
        assertThat(KvmVcpuThreads.niceFor(1, 69)).isEqualTo(19);      // 18.97: the last distinct step
        assertThat(KvmVcpuThreads.niceFor(100, 10_000)).isEqualTo(19); // 20.6 saturates
        assertThat(KvmVcpuThreads.niceFor(1, 10_000)).isEqualTo(19);
        // Rounding keeps the realised share within 1.25^0.5 of the asked ratio for every ratio up to 1.25^19.
        for (int w = 1; w <= 10_000; w += 7) {
            int n = KvmVcpuThreads.niceFor(w, 10_000);
            double asked = 10_000.0 / w;
            if (asked <= Math.pow(1.25, 19)) {
                assertThat(Math.pow(1.25, n) / asked).isBetween(1 / Math.sqrt(1.25) - 1e-9, Math.sqrt(1.25) + 1e-9);
            }
        }
        assertThatThrownBy(() -> KvmVcpuThreads.niceFor(0, 100)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KvmVcpuThreads.niceFor(200, 100)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void niceValuesFollowStartsStopsAndWeightChanges() {
        host.thread(11);
        host.thread(12);
        host.thread(21);
        KvmVcpuThreads.Entry a = threads.add("a", 100, null, () -> new int[]{11, 12});
        assertThat(host.nice).containsEntry(11, 0).containsEntry(12, 0);
        KvmVcpuThreads.Entry b = threads.add("b", 300, null, () -> new int[]{21});
        assertThat(host.nice).containsEntry(11, 5).containsEntry(12, 5).containsEntry(21, 0);
        assertThat(a.nice()).isEqualTo(5);
        assertThat(b.nice()).isZero();
        a.setWeight(600);
        assertThat(host.nice).containsEntry(11, 0).containsEntry(21, 3);
        a.remove();
        assertThat(host.nice).containsEntry(21, 0);
        assertThat(b.problem()).isNull();
        assertThat(threads.status()).isEqualTo(new KvmVcpuThreads.Status(true, 0, 0, null));
        assertThat(host.affinity).isEmpty(); // no cpuset: affinity is never touched
    }

    @Test
    void withoutTheRightToRaisePriorityTheRatiosAreKeptByLoweringTheOthers() {
        host.canLower = false;
        host.thread(11);
        host.thread(21);
        KvmVcpuThreads.Entry a = threads.add("a", 100, null, () -> new int[]{11});
        KvmVcpuThreads.Entry b = threads.add("b", 300, null, () -> new int[]{21});
        assertThat(host.nice).containsEntry(11, 5).containsEntry(21, 0); // only raising needed so far
        a.setWeight(300); // a would go back to 0: refused, so b goes up to a's level instead
        assertThat(host.nice).containsEntry(11, 5).containsEntry(21, 5);
        assertThat(threads.status().canRaisePriority()).isFalse();
        assertThat(threads.status().niceShift()).isEqualTo(5);
        assertThat(threads.status().lastWarning()).contains("CAP_SYS_NICE");
        assertThat(a.problem()).isNull();
        assertThat(b.problem()).isNull();
        b.setWeight(600); // b now heaviest: a must be 3 steps below b, without lowering anyone
        assertThat(host.nice.get(11) - host.nice.get(21)).isEqualTo(3);
        assertThat(host.nice.get(21)).isEqualTo(5);
        a.remove();
        b.remove();
        assertThat(threads.status().niceShift()).isZero();
        // Saturation: the shift never pushes a thread past 19 (the ratio is compressed instead).
        host.thread(31);
        host.thread(41);
        host.nice.put(31, 15); // c's thread cannot come back below 15
        threads.add("c", 800, null, () -> new int[]{31});
        KvmVcpuThreads.Entry d = threads.add("d", 100, null, () -> new int[]{41}); // 9 steps below c
        assertThat(threads.status().niceShift()).isEqualTo(15);
        assertThat(host.nice).containsEntry(31, 15).containsEntry(41, 19);
        assertThat(d.nice()).isEqualTo(19);
    }

    @Test
    void theDaemonsOwnNiceValueIsTheHeaviestVmsAndTheOthersAreCountedFromIt() {
        KvmVcpuThreads niced = new KvmVcpuThreads(host, CpuSet.parse("0-3"), 4);
        host.thread(11);
        host.thread(21);
        host.nice.put(11, 4);
        host.nice.put(21, 4);
        niced.add("a", 100, null, () -> new int[]{11});
        niced.add("b", 300, null, () -> new int[]{21});
        assertThat(host.nice).containsEntry(11, 9).containsEntry(21, 4);
        host.thread(31);
        host.nice.put(31, 2);
        niced.add("c", 100 * 1000, null, () -> new int[]{31}); // 17 steps above a: a is clamped at 19
        assertThat(host.nice).containsEntry(31, 4).containsEntry(21, 19).containsEntry(11, 19);
    }

    @Test
    void threadsThatInheritedAVcpuThreadsNiceOrAffinityGetTheDaemonsBack() {
        host.thread(11); // a vCPU thread
        host.thread(12); // a carrier it started: same nice, same CPUs
        host.thread(13); // an emulator worker, pinned on purpose
        host.thread(14); // an ordinary thread
        host.names.put(12, "ForkJoinPool-1-");
        host.names.put(13, "vcpu-worker-0");
        threads.add("a", 100, CpuSet.parse("1"), () -> new int[]{11});
        threads.add("b", 300, null, () -> new int[]{});
        host.nice.put(12, 5);
        host.affinity.put(12, CpuSet.parse("1"));
        host.affinity.put(13, CpuSet.parse("2"));
        assertThat(threads.resetInherited(n -> n.startsWith("vcpu-worker-"))).isEqualTo(1);
        assertThat(host.nice).containsEntry(11, 5).containsEntry(12, 0).containsEntry(14, 0);
        assertThat(host.affinity).containsEntry(11, CpuSet.parse("1")).containsEntry(12, CpuSet.parse("0-3"))
                .containsEntry(13, CpuSet.parse("2")).doesNotContainKey(14);
        assertThat(threads.resetInherited(n -> false)).as("the worker too, without the exemption").isEqualTo(1);
        assertThat(threads.resetInherited(n -> false)).isZero();
        assertThat(threads.status().inheritedResets()).isEqualTo(2);
        // Without CAP_SYS_NICE an inherited nice value stays; that is reported once.
        host.canLower = false;
        host.nice.put(14, 5);
        assertThat(threads.resetInherited(n -> false)).isZero();
        assertThat(threads.status().lastWarning()).isEqualTo("thread 14 (thread-14) inherited nice 5 from a vCPU"
                + " thread and cannot get nice 0 back: errno 13");
        assertThat(threads.status().canRaisePriority()).isFalse();
    }

    @Test
    void onThisHostAThreadsInheritedNiceAndAffinityAreReset() throws Exception {
        KvmVcpuThreads real = new KvmVcpuThreads(KvmVcpuThreads.NATIVE, HostThreads.affinity(0),
                HostThreads.nice((int) ProcessHandle.current().pid()));
        int cpu = CpuSet.online().last();
        java.util.concurrent.CountDownLatch set = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        int[] tid = new int[1];
        Thread t = Thread.ofPlatform().name("inheritor").start(() -> {
            try {
                // proc(5): /proc/thread-self links to /proc/self/task/TID of the calling thread.
                tid[0] = Integer.parseInt(java.nio.file.Files.readSymbolicLink(
                        java.nio.file.Path.of("/proc/thread-self")).getFileName().toString());
                assertThat(HostThreads.setNice(tid[0], 7)).isZero();
                assertThat(HostThreads.setAffinity(0, CpuSet.of(cpu))).isZero();
                set.countDown();
                done.await();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        try {
            assertThat(set.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(HostThreads.nice(tid[0])).isEqualTo(7);
            assertThat(HostThreads.affinity(tid[0])).isEqualTo(CpuSet.of(cpu));
            int changed = real.resetInherited(n -> !n.equals("inheritor"));
            if (CpuSet.online().size() > 1) {
                assertThat(changed).isEqualTo(1);
            }
            assertThat(HostThreads.affinity(tid[0])).isEqualTo(HostThreads.affinity(0));
            if (real.status().canRaisePriority()) { // needs CAP_SYS_NICE, which the test may not have
                assertThat(HostThreads.nice(tid[0])).isEqualTo(HostThreads.nice((int) ProcessHandle.current().pid()));
            }
        } finally {
            done.countDown();
            t.join();
        }
    }

    @Test
    void cpusetsPinEveryVcpuThreadAndRemovingOneRestoresTheDefault() {
        host.thread(11);
        host.thread(12);
        KvmVcpuThreads.Entry a = threads.add("a", 100, CpuSet.parse("1"), () -> new int[]{11, 12});
        assertThat(host.affinity).containsEntry(11, CpuSet.parse("1")).containsEntry(12, CpuSet.parse("1"));
        a.setCpuset(CpuSet.parse("2-3"));
        assertThat(host.affinity).containsEntry(11, CpuSet.parse("2-3")).containsEntry(12, CpuSet.parse("2-3"));
        a.setCpuset(null);
        assertThat(host.affinity).containsEntry(11, CpuSet.parse("0-3")).containsEntry(12, CpuSet.parse("0-3"));
    }

    @Test
    void threadsNotYetStartedAreSetUpLaterAndGoneOnesAreNeverTouched() {
        int[] tids = {0};
        host.thread(21);
        KvmVcpuThreads.Entry a = threads.add("a", 100, CpuSet.parse("1"), () -> tids.clone());
        assertThat(a.problem()).contains("vCPU 0 has not started yet");
        tids[0] = 11;
        host.thread(11);
        threads.add("b", 300, null, () -> new int[]{21}); // the next recomputation catches up
        assertThat(host.nice).containsEntry(11, 5);
        assertThat(host.affinity).containsEntry(11, CpuSet.parse("1"));
        assertThat(a.problem()).isNull();
        // The daemon's once-a-second sweep also catches a late thread, without any other change.
        int[] late = {0};
        host.thread(41);
        KvmVcpuThreads.Entry c = threads.add("c", 100, null, () -> late.clone());
        assertThat(c.problem()).contains("has not started yet");
        late[0] = 41;
        threads.resetInherited(n -> false);
        assertThat(host.nice).containsEntry(41, 5);
        assertThat(c.problem()).isNull();
        host.nice.remove(11); // the thread ended; its id may be reused by another process
        host.affinity.clear();
        a.setCpuset(CpuSet.parse("2"));
        assertThat(host.affinity).isEmpty();
        assertThat(a.problem()).isNull();
    }

    @Test
    void failuresAreReportedOnTheVmAndInTheStatusWithoutThrowing() {
        host.thread(11);
        host.failNice = HostThreads.EINVAL;
        host.nice.put(11, 3);
        KvmVcpuThreads.Entry a = threads.add("a", 100, null, () -> new int[]{11});
        assertThat(a.problem()).isEqualTo("setpriority(vCPU 0 thread 11, nice 0): errno 22");
        assertThat(threads.status().lastWarning()).contains("VM a: setpriority");
        host.failNice = 0;
        host.failAffinity = HostThreads.EINVAL;
        a.setCpuset(CpuSet.parse("3"));
        assertThat(a.problem()).isEqualTo("sched_setaffinity(vCPU 0 thread 11, CPUs 3): errno 22");
        host.failAffinity = 0;
        a.setCpuset(CpuSet.parse("2"));
        assertThat(a.problem()).isNull();
    }
}
