package dev.jvisor.vmm.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The benchmark plumbing without a guest: marker lines, host samples and the guest scripts. */
class BenchPartsTest {
    @Test
    void aMarkerLineIsSampledWhenItsLineEndsAndEverythingIsEchoed() throws Exception {
        AtomicLong tick = new AtomicLong();
        ByteArrayOutputStream echo = new ByteArrayOutputStream();
        ConsoleMarkers console = new ConsoleMarkers(echo, () -> new HostSample(tick.incrementAndGet(), 10, 5));
        var start = console.expect("bench: start");
        console.write("noise\r\nbench: sta".getBytes(StandardCharsets.US_ASCII));
        assertThat(start).isNotDone();
        console.write("rt /dev/vda\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(start.get().line()).isEqualTo("bench: start /dev/vda");
        assertThat(start.get().sample().wallNanos()).isEqualTo(1);
        assertThat(echo.toString(StandardCharsets.US_ASCII)).isEqualTo("noise\r\nbench: start /dev/vda\n");
        assertThat(console.tail()).isEqualTo("noise\nbench: start /dev/vda\n");
    }

    @Test
    void awaitingAMarkerThatNeverComesNamesItAndShowsTheConsole() {
        ConsoleMarkers console = new ConsoleMarkers(null, () -> new HostSample(0, 0, 0));
        assertThatThrownBy(() -> {
            console.write("last words\n".getBytes(StandardCharsets.US_ASCII));
            console.await("bench: done", 0);
        }).isInstanceOf(IOException.class).hasMessageContaining("'bench: done'").hasMessageContaining("last words");
    }

    @Test
    void spansGiveRatesAndCpuPerMib() {
        HostSample.Span s = new HostSample(1_000_000_000L, 100_000_000L, 40_000_000L)
                .until(new HostSample(3_000_000_000L, 420_000_000L, 240_000_000L));
        long bytes = 64L << 20;
        assertThat(s.seconds()).isEqualTo(2.0);
        assertThat(s.mibPerSecond(bytes)).isEqualTo(32.0);
        assertThat(s.cpuMillisPerMib(bytes)).isCloseTo(5.0, within(1e-9));
        assertThat(s.nonVcpuCpuMillisPerMib(bytes)).isCloseTo(1.875, within(1e-9));
        assertThat(HostSample.currentProcessCpuNanos()).isPositive();
    }

    @Test
    void scriptsUseDirectIoOnEveryDiskAndTheRightPorts() {
        String blk = BlockBench.script(2, 64);
        assertThat(blk).contains("of=/dev/vda bs=1M count=64 oflag=direct", "if=/dev/vdb of=/dev/null bs=1M count=64 iflag=direct",
                "echo \"bench: read-done /dev/vdb");
        String net = NetBench.script(4321, 8);
        assertThat(net).contains("wget -q -O /dev/null http://10.0.2.2:4321/blob", "count=8", "httpd -p 8080", "nc -l -p 9000");
    }
}
