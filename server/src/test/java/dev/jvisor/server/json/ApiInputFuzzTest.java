package dev.jvisor.server.json;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jvisor.server.api.RestApi;
import dev.jvisor.server.firecracker.FirecrackerModels;
import dev.jvisor.server.manager.ServiceException;
import dev.jvisor.server.manager.VmDefinition;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Fuzz targets for the API's input parsing: any bytes given as a create request, a limits request or
 * a Firecracker request body must end in a clean refusal ({@link JsonInputException} or
 * {@link ServiceException} of kind INVALID/INSUFFICIENT), never another exception. Without
 * {@code JAZZER_FUZZ=1} the target replays its inputs; {@link #mutatedSeedsFailCleanly} runs it on
 * deterministic mutations of valid requests in every build.
 */
class ApiInputFuzzTest {
    static void exercise(byte[] data) {
        try {
            VmDefinition d = Json.read(data, VmDefinition.class);
            d.normalized();
        } catch (JsonInputException | ServiceException expected) {
            // a clean refusal
        }
        try {
            RestApi.LimitsRequest l = Json.read(data, RestApi.LimitsRequest.class);
            if (l.io() != null) {
                for (VmDefinition.IoLimit limit : l.io().values()) {
                    if (limit != null) {
                        limit.parse();
                    }
                }
            }
        } catch (JsonInputException | ServiceException expected) {
            // a clean refusal
        }
        for (Class<?> type : FirecrackerModels.REQUEST_TYPES) {
            try {
                Object o = Json.read(data, type);
                assertThat(o).isNotNull();
            } catch (JsonInputException expected) {
                // a clean refusal
            }
        }
    }

    @FuzzTest(maxDuration = "60s")
    void fuzzRequestBodies(byte[] data) {
        exercise(data);
    }

    private static final List<String> SEEDS = List.of(
            "{\"name\":\"a\",\"memory_mib\":512,\"vcpus\":2,\"kernel\":\"/bin/sh\",\"cmdline\":\"console=ttyS0\","
                    + "\"drives\":[\"file=/tmp/x.img,format=raw,rate=10M/s\"],\"nets\":[\"switch=lan0\"],\"rng\":true,"
                    + "\"cpu_weight\":200,\"cpu_cap\":50,\"prefault\":false,\"io_limits\":{\"drive0\":{\"rate\":\"1M/s\",\"burst\":\"4M\"}}}",
            "{\"cpu_weight\":300,\"cpu_cap\":75,\"io\":{\"net0\":{\"rate\":\"1000op/s\",\"burst\":null}}}",
            "{\"kernel_image_path\":\"/k\",\"boot_args\":\"console=ttyS0\",\"initrd_path\":null}",
            "{\"vcpu_count\":2,\"mem_size_mib\":128,\"smt\":false}",
            "{\"drive_id\":\"rootfs\",\"path_on_host\":\"/r.ext4\",\"is_root_device\":true,\"is_read_only\":false}",
            "{\"action_type\":\"InstanceStart\"}",
            "{\"state\":\"Paused\"}");

    @Test
    void mutatedSeedsFailCleanly() {
        Random rnd = new Random(515);
        for (String s : SEEDS) {
            exercise(s.getBytes(StandardCharsets.UTF_8));
        }
        for (int i = 0; i < 4000; i++) {
            byte[] m = SEEDS.get(i % SEEDS.size()).getBytes(StandardCharsets.UTF_8);
            int edits = 1 + rnd.nextInt(4);
            for (int k = 0; k < edits; k++) {
                int at = rnd.nextInt(m.length);
                switch (rnd.nextInt(4)) {
                    case 0 -> m[at] = (byte) rnd.nextInt(256);
                    case 1 -> m[at] = (byte) "{}[]\":,0123456789-.eE tfn\\".charAt(rnd.nextInt(26));
                    case 2 -> m = java.util.Arrays.copyOf(m, at);
                    default -> {
                        byte[] longer = new byte[m.length + 1];
                        System.arraycopy(m, 0, longer, 0, at);
                        longer[at] = (byte) "{[\"9".charAt(rnd.nextInt(4));
                        System.arraycopy(m, at, longer, at + 1, m.length - at);
                        m = longer;
                    }
                }
                if (m.length == 0) {
                    break;
                }
            }
            exercise(m);
        }
        // Deep nesting and huge numbers are bounded, not a stack overflow.
        exercise(("{\"name\":" + "[".repeat(10_000)).getBytes(StandardCharsets.UTF_8));
        exercise(("{\"memory_mib\":" + "9".repeat(5000) + "}").getBytes(StandardCharsets.UTF_8));
    }
}
