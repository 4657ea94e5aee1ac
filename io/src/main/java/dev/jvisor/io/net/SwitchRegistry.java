package dev.jvisor.io.net;

import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The named switches of one hypervisor process ({@code --net switch=NAME}): VMs that name the same
 * switch share it. One instance is created by the process and handed to whoever builds VMs (no
 * global state).
 */
public final class SwitchRegistry {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    private final Map<String, VirtualSwitch> switches = new TreeMap<>();

    /**
     * The switch called {@code name}, created on first use.
     *
     * @throws IllegalArgumentException for names other than 1-64 letters, digits, '.', '_' or '-'
     */
    public synchronized VirtualSwitch getOrCreate(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("bad switch name '" + name + "' (1-64 letters, digits, '.', '_', '-')");
        }
        return switches.computeIfAbsent(name, VirtualSwitch::new);
    }

    /** Names of the switches created so far. */
    public synchronized java.util.Set<String> names() {
        return java.util.Set.copyOf(switches.keySet());
    }
}
