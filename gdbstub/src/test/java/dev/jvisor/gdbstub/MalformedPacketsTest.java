package dev.jvisor.gdbstub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.memory.GuestMemory;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Packets that once broke the session, found by {@link GdbRemoteFuzzTest}, each with the reply it
 * must get; the session answers normally afterwards.
 */
class MalformedPacketsTest {
    private GuestMemory memory;
    private SessionDriver session;

    @BeforeEach
    void attach() throws InterruptedException {
        memory = GuestMemory.flat(FakeTarget.RAM);
        session = new SessionDriver(memory, 2, true, 4);
    }

    @AfterEach
    void detach() throws Exception {
        try {
            assertThat(session.ask("?")).as("the session still answers").isEqualTo("T05thread:1;");
            session.close();
        } finally {
            memory.close();
        }
    }

    @Test
    void memoryReadOfTwoToThe64MinusOneBytesIsClampedNotNegative() {
        // 'm5b07,ffffffffffffffff' ended the session with IllegalArgumentException: the length was
        // taken as the int -1.
        memory.write(0x1000, "hello".getBytes(StandardCharsets.US_ASCII));
        String reply = session.ask("m1000,ffffffffffffffff");
        assertThat(reply).hasSize(2 * GdbSession.MAX_MEMORY).startsWith(Hex.ascii("hello"));
        assertThat(session.ask("m1000,80000000")).hasSize(2 * GdbSession.MAX_MEMORY);
    }

    @Test
    void registerNumbersAreNotTruncatedTo32Bits() {
        // 'p100000000' read register 0 (rax) instead of failing.
        assertThat(session.ask("p100000000")).isEqualTo("E01");
        assertThat(session.ask("P100000000=0000000000000000")).isEqualTo("E01");
        assertThat(session.ask("P0")).as("no '='").isEqualTo("E01");
        assertThat(session.ask("p0")).hasSize(16);
    }

    @Test
    void breakpointTypeAndKindAreNotTruncatedTo32Bits() {
        // 'Z100000000,400002F4,7' inserted a software breakpoint (type 0) instead of "not supported".
        assertThat(session.ask("Z100000000,400002F4,7")).isEmpty();
        assertThat(session.ask("Z5,1000,1")).isEmpty();
        // A watchpoint length of 2^32 + 1 passed the 1-8 check as 1.
        assertThat(session.ask("Z2,1000,100000001")).isEqualTo("E01");
        assertThat(session.ask("Z2,1000,8")).isEqualTo("OK");
        assertThat(session.ask("Z0,1000")).as("no kind").isEqualTo("E01");
    }

    @Test
    void targetDescriptionReadsTakeOffsetAndLengthAsUnsigned() {
        // 'qXfer:features:read:target.xml:3a1,ffffffffffffffff' answered an empty "m" chunk, which
        // makes GDB ask again forever.
        byte[] xml = TargetDescription.BYTES;
        String rest = session.ask("qXfer:features:read:target.xml:3a1,ffffffffffffffff");
        assertThat(rest).startsWith("l");
        assertThat(PacketCodec.unescape(rest.getBytes(StandardCharsets.ISO_8859_1), 1, rest.length() - 1))
                .hasSize(xml.length - 0x3a1);
        assertThat(session.ask("qXfer:features:read:target.xml:8000000000000000,10")).isEqualTo("l");
        assertThat(session.ask("qXfer:features:read:target.xml:0,0")).isEqualTo("E01");
        assertThat(session.ask("qXfer:features:read:target.xml:0")).isEqualTo("E01");
    }
}
