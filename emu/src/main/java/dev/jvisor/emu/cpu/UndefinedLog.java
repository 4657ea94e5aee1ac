package dev.jvisor.emu.cpu;

import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Logs each distinct encoding that raised #UD because it is invalid or not implemented, once. */
final class UndefinedLog {
    private static final Logger LOG = LoggerFactory.getLogger(UndefinedLog.class);
    private static final Set<String> SEEN = ConcurrentHashMap.newKeySet();

    private UndefinedLog() {
    }

    static void report(Cpu c, long rip, byte[] bytes) {
        String hex = HexFormat.ofDelimiter(" ").formatHex(bytes);
        if (SEEN.size() < 4096 && SEEN.add(hex)) {
            LOG.warn("vCPU {}: #UD for instruction bytes [{}] at rip 0x{} (cpl {}, {}-bit code)", c.index, hex,
                    Long.toHexString(rip), c.cpl, c.codeSize);
        }
    }
}
