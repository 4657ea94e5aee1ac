package dev.jvisor.cli;

import dev.jvisor.vmm.DriveConfig;
import dev.jvisor.vmm.NetConfig;
import dev.jvisor.vmm.VmException;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns the {@code --drive} and {@code --net} strings into configurations (the syntax lives in
 * {@code vmm}: {@link DriveConfig#parse}, {@link NetConfig#parse}). Errors become a
 * {@link VmException}, so they end the command with one line and exit status 1, before boot.
 */
final class DeviceArguments {
    private DeviceArguments() {
    }

    static List<DriveConfig> drives(List<String> texts) throws VmException {
        List<DriveConfig> drives = new ArrayList<>();
        for (String t : texts) {
            try {
                drives.add(DriveConfig.parse(t));
            } catch (IllegalArgumentException e) {
                throw new VmException(e.getMessage());
            }
        }
        return drives;
    }

    static List<NetConfig> nets(List<String> texts) throws VmException {
        List<NetConfig> nets = new ArrayList<>();
        for (String t : texts) {
            try {
                nets.add(NetConfig.parse(t));
            } catch (IllegalArgumentException e) {
                throw new VmException(e.getMessage());
            }
        }
        return nets;
    }
}
