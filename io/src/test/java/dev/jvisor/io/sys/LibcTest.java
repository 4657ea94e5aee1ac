package dev.jvisor.io.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class LibcTest {
    @Test
    void eventfdPollReadWriteRoundTrip() throws Exception {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment errno = Libc.newErrnoState(a);
            int fd = (int) Libc.check(Libc.eventfd(errno, 0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK), errno, "eventfd");
            MemorySegment fds = a.allocate(Libc.POLLFD, 1);
            fds.set(JAVA_INT, 0, fd);
            fds.set(JAVA_SHORT, 4, Libc.POLLIN);
            assertThat(Libc.poll(errno, fds, 1, 0)).as("nothing signalled yet").isZero();
            MemorySegment v = a.allocate(JAVA_LONG);
            v.set(JAVA_LONG, 0, 5);
            assertThat(Libc.write(errno, fd, v, 8)).isEqualTo(8);
            assertThat(Libc.poll(errno, fds, 1, 0)).isEqualTo(1);
            assertThat(fds.get(JAVA_SHORT, 6) & Libc.POLLIN).isNotZero();
            assertThat(Libc.read(errno, fd, v)).isEqualTo(8);
            assertThat(v.get(JAVA_LONG, 0)).isEqualTo(5);
            assertThat(Libc.read(errno, fd, v)).isNegative();
            assertThat(Libc.errno(errno)).isEqualTo(Libc.EAGAIN);
            assertThat(Libc.close(errno, fd)).isZero();
            assertThatThrownBy(() -> Libc.check(Libc.close(errno, fd), errno, "close")).isInstanceOf(NativeException.class)
                    .hasMessageContaining("close failed: Bad file descriptor (errno 9)");
            assertThatThrownBy(() -> Libc.write(errno, 0, v, 9)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> Libc.poll(errno, fds, 2, 0)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    @Test
    void openReportsErrno() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment errno = Libc.newErrnoState(a);
            assertThat(Libc.open(errno, "/nonexistent/jvisor", Libc.O_RDONLY)).isNegative();
            assertThat(Libc.errno(errno)).isEqualTo(Libc.ENOENT);
            assertThat(Libc.strerror(Libc.ENOENT)).isEqualTo("No such file or directory");
        }
    }
}
