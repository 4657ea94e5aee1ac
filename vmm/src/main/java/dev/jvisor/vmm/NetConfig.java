package dev.jvisor.vmm;

import dev.jvisor.io.net.MacAddress;
import dev.jvisor.io.net.slirp.HostForward;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One virtio-net interface of a VM, as {@code --net} describes it:
 * <pre>
 *   user[,hostfwd=tcp:127.0.0.1:8022-:22]...   user-mode NAT (libslirp), host forwards
 *   switch=NAME                                a port on the process's virtual switch NAME
 *   tap=IFNAME | tap                           a host TAP interface (named, or a new one)
 * </pre>
 * each followed by {@code [,mac=52:54:00:12:34:56][,rate=...][,burst=...]} (the rate limits each
 * direction separately; syntax in {@link RateLimitConfig}).
 *
 * @param attachment where the interface's frames go
 * @param mac        the guest's MAC address, or empty for a stable generated one ({@link StableMac})
 * @param rate       limits for each direction
 */
public record NetConfig(Attachment attachment, Optional<MacAddress> mac, RateLimitConfig rate) {
    /** The keys {@code --net} accepts besides the attachment word. */
    public static final List<String> KEYS = List.of("user", "switch", "tap", "hostfwd", "mac", "rate", "burst");

    public NetConfig {
        Objects.requireNonNull(attachment, "attachment");
        Objects.requireNonNull(mac, "mac");
        Objects.requireNonNull(rate, "rate");
    }

    /** Where a virtio-net interface is connected. */
    public sealed interface Attachment {
        /** Short text for messages and for deriving a stable MAC. */
        String describe();
    }

    /** User-mode NAT through libslirp with these host forwards. */
    public record User(List<HostForward> forwards) implements Attachment {
        public User {
            forwards = List.copyOf(forwards);
        }

        public String describe() {
            return "user";
        }
    }

    /** A port of the named virtual switch of this process. */
    public record Switch(String name) implements Attachment {
        public Switch {
            Objects.requireNonNull(name, "name");
        }

        public String describe() {
            return "switch=" + name;
        }
    }

    /** A host TAP interface; an empty name lets the kernel pick one. */
    public record Tap(String interfaceName) implements Attachment {
        public Tap {
            Objects.requireNonNull(interfaceName, "interfaceName");
        }

        public String describe() {
            return interfaceName.isEmpty() ? "tap" : "tap=" + interfaceName;
        }
    }

    /**
     * Parses the {@code --net} syntax (only the syntax: back ends start when the VM is built).
     *
     * @throws IllegalArgumentException naming the bad option
     */
    public static NetConfig parse(String text) {
        DeviceOptions o = DeviceOptions.parse("--net", text);
        o.requireOnly(KEYS);
        List<String> kinds = new ArrayList<>();
        for (String k : List.of("user", "switch", "tap")) {
            if (!o.all(k).isEmpty()) {
                kinds.add(k);
            }
        }
        if (kinds.size() != 1) {
            throw new IllegalArgumentException("--net '" + text + "' must name exactly one of user, switch=NAME or tap[=IFNAME]");
        }
        Attachment attachment = switch (kinds.getFirst()) {
            case "user" -> {
                if (o.all("user").size() > 1 || o.all("user").getFirst() != null) {
                    throw new IllegalArgumentException("--net: 'user' takes no value (options follow after commas)");
                }
                List<HostForward> forwards = new ArrayList<>();
                for (String f : o.all("hostfwd")) {
                    if (f == null) {
                        throw new IllegalArgumentException("--net: hostfwd needs a value like tcp:127.0.0.1:8022-:22");
                    }
                    try {
                        forwards.add(HostForward.parse(f));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("--net: " + e.getMessage());
                    }
                }
                yield new User(forwards);
            }
            case "switch" -> {
                String name = o.single("switch");
                if (name == null || name.isEmpty()) {
                    throw new IllegalArgumentException("--net: switch needs a name (switch=NAME)");
                }
                yield new Switch(name);
            }
            default -> {
                List<String> taps = o.all("tap");
                if (taps.size() > 1) {
                    throw new IllegalArgumentException("--net: 'tap' is given " + taps.size() + " times");
                }
                yield new Tap(taps.getFirst() == null ? "" : taps.getFirst());
            }
        };
        if (!(attachment instanceof User) && !o.all("hostfwd").isEmpty()) {
            throw new IllegalArgumentException("--net: hostfwd works only with user networking");
        }
        Optional<MacAddress> mac;
        try {
            String m = o.single("mac");
            mac = m == null ? Optional.empty() : Optional.of(MacAddress.parse(m));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--net: " + e.getMessage());
        }
        if (mac.isPresent() && mac.get().isMulticast()) {
            throw new IllegalArgumentException("--net: mac=" + mac.get() + " is a multicast address (first octet odd)");
        }
        RateLimitConfig rate;
        try {
            rate = RateLimitConfig.parse(o.single("rate"), o.single("burst"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--net: " + e.getMessage());
        }
        return new NetConfig(attachment, mac, rate);
    }
}
