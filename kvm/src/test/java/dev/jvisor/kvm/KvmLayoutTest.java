package dev.jvisor.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks every struct size, field offset, ioctl number and capability number the binding uses
 * against the installed {@code linux/kvm.h}, by generating a C program from the Java layouts,
 * compiling it with gcc and comparing its output. Skipped without gcc or the kernel headers.
 */
class KvmLayoutTest {
    /** kvm_run fields, read through an anonymous union in C. */
    private static final Map<String, String> RUN_FIELDS = new LinkedHashMap<>();

    static {
        RUN_FIELDS.put("RUN_IMMEDIATE_EXIT", "immediate_exit");
        RUN_FIELDS.put("RUN_EXIT_REASON", "exit_reason");
        RUN_FIELDS.put("RUN_FAIL_ENTRY_REASON", "fail_entry.hardware_entry_failure_reason");
        RUN_FIELDS.put("RUN_FAIL_ENTRY_CPU", "fail_entry.cpu");
        RUN_FIELDS.put("RUN_HW_EXIT_REASON", "hw.hardware_exit_reason");
        RUN_FIELDS.put("RUN_EX_EXCEPTION", "ex.exception");
        RUN_FIELDS.put("RUN_EX_ERROR_CODE", "ex.error_code");
        RUN_FIELDS.put("RUN_IO_DIRECTION", "io.direction");
        RUN_FIELDS.put("RUN_IO_SIZE", "io.size");
        RUN_FIELDS.put("RUN_IO_PORT", "io.port");
        RUN_FIELDS.put("RUN_IO_COUNT", "io.count");
        RUN_FIELDS.put("RUN_IO_DATA_OFFSET", "io.data_offset");
        RUN_FIELDS.put("RUN_MMIO_PHYS_ADDR", "mmio.phys_addr");
        RUN_FIELDS.put("RUN_MMIO_DATA", "mmio.data");
        RUN_FIELDS.put("RUN_MMIO_LEN", "mmio.len");
        RUN_FIELDS.put("RUN_MMIO_IS_WRITE", "mmio.is_write");
        RUN_FIELDS.put("RUN_INTERNAL_SUBERROR", "internal.suberror");
        RUN_FIELDS.put("RUN_INTERNAL_NDATA", "internal.ndata");
        RUN_FIELDS.put("RUN_INTERNAL_DATA", "internal.data");
        RUN_FIELDS.put("RUN_SYSTEM_EVENT_TYPE", "system_event.type");
        RUN_FIELDS.put("RUN_DEBUG_EXCEPTION", "debug.arch.exception");
        RUN_FIELDS.put("RUN_DEBUG_PC", "debug.arch.pc");
        RUN_FIELDS.put("RUN_DEBUG_DR6", "debug.arch.dr6");
    }

    @Test
    void bindingMatchesTheKernelHeader(@TempDir Path dir) throws Exception {
        assumeTrue(Files.exists(Path.of("/usr/include/linux/kvm.h")), "no /usr/include/linux/kvm.h to compare with");
        assumeTrue(gccWorks(dir), "no gcc to compile the layout probe");
        Map<String, Long> java = new LinkedHashMap<>();
        StringBuilder c = new StringBuilder("#include <stdio.h>\n#include <stddef.h>\n#include <linux/kvm.h>\nint main(void){\n");
        for (StructLayout s : structs()) {
            String name = s.name().orElseThrow();
            if (!name.equals("kvm_run")) {
                line(c, java, name + " size", "sizeof(struct " + name + ")", s.byteSize());
            }
            for (MemoryLayout m : s.memberLayouts()) {
                if (m.name().isPresent() && !(m instanceof GroupLayout && name.equals("kvm_run"))) {
                    String field = m.name().get();
                    line(c, java, name + "." + field, "offsetof(struct " + name + ", " + field + ")", s.byteOffset(
                            MemoryLayout.PathElement.groupElement(field)));
                }
            }
        }
        for (Map.Entry<String, String> f : RUN_FIELDS.entrySet()) {
            Field constant = KvmStructs.class.getDeclaredField(f.getKey());
            line(c, java, "kvm_run." + f.getValue(), "offsetof(struct kvm_run, " + f.getValue() + ")", constant.getLong(null));
        }
        for (Ioctl op : Ioctl.values()) {
            line(c, java, op.name(), "(unsigned long)" + op.name(), op.number);
        }
        for (KvmCapability cap : KvmCapability.values()) {
            line(c, java, "KVM_CAP_" + cap.name(), "(unsigned long)KVM_CAP_" + cap.name(), cap.number);
        }
        c.append("return 0;}\n");
        Map<String, Long> header = compileAndRun(dir, c.toString());
        SoftAssertions soft = new SoftAssertions();
        java.forEach((key, value) -> soft.assertThat(value).as(key).isEqualTo(header.get(key)));
        soft.assertAll();
        assertThat(java).hasSizeGreaterThan(150);
    }

    private static void line(StringBuilder c, Map<String, Long> java, String key, String expression, long value) {
        c.append("printf(\"%s=%lu\\n\", \"").append(key).append("\", (unsigned long)(").append(expression).append("));\n");
        java.put(key, value);
    }

    private static List<StructLayout> structs() throws IllegalAccessException {
        List<StructLayout> out = new java.util.ArrayList<>();
        for (Field f : KvmStructs.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == StructLayout.class) {
                f.setAccessible(true);
                out.add((StructLayout) f.get(null));
            }
        }
        return out;
    }

    private static boolean gccWorks(Path dir) {
        try {
            Process p = new ProcessBuilder("gcc", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static Map<String, Long> compileAndRun(Path dir, String source) throws Exception {
        Path src = dir.resolve("layout.c");
        Path exe = dir.resolve("layout");
        Files.writeString(src, source);
        run(new ProcessBuilder("gcc", "-o", exe.toString(), src.toString()));
        Map<String, Long> out = new LinkedHashMap<>();
        for (String l : run(new ProcessBuilder(exe.toString())).split("\n")) {
            int eq = l.lastIndexOf('=');
            out.put(l.substring(0, eq), Long.parseUnsignedLong(l.substring(eq + 1)));
        }
        return out;
    }

    private static String run(ProcessBuilder pb) throws Exception {
        Process p = pb.redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(text).isZero();
        return text;
    }
}
