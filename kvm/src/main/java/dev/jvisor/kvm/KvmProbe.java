package dev.jvisor.kvm;

import dev.jvisor.hypervisor.Availability;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/** Works out whether KVM can be used here, and how well, with a message for the user. Never throws. */
final class KvmProbe {
    static final int API_VERSION = 12;
    private static final Pattern HW_FLAG = Pattern.compile("^flags\\s*:.*\\b(vmx|svm)\\b", Pattern.MULTILINE);

    private KvmProbe() {
    }

    static Availability probe(String device, Path cpuinfo) {
        try {
            return probeUnchecked(device, cpuinfo);
        } catch (RuntimeException | LinkageError e) {
            return Availability.absent("KVM could not be probed: " + e);
        }
    }

    private static Availability probeUnchecked(String device, Path cpuinfo) {
        if (!Files.exists(Path.of(device))) {
            return Availability.absent("no " + device + ": the kvm module is not loaded (modprobe kvm_intel or kvm_amd),"
                    + " the CPU lacks virtualization, or this container was started without the device");
        }
        try (NativeFd kvm = NativeFd.open(device)) {
            int version = kvm.ioctl(Ioctl.KVM_GET_API_VERSION, 0);
            if (version != API_VERSION) {
                return Availability.absent(device + " speaks KVM API version " + version + ", jvisor needs " + API_VERSION);
            }
            List<String> missing = KvmCapability.missing(kvm);
            if (!missing.isEmpty()) {
                return Availability.absent("KVM lacks capabilities jvisor needs: " + String.join(", ", missing));
            }
        } catch (KvmException e) {
            if (e.errno() == Libc.EACCES || e.errno() == Libc.EPERM) {
                return Availability.absent("permission denied opening " + device + ": add your user to group kvm"
                        + " (sudo usermod -aG kvm $USER, then log in again) or grant access to the device");
            }
            return Availability.absent("cannot use " + device + ": " + e.getMessage());
        }
        String flag = hardwareVirtualizationFlag(cpuinfo);
        if (flag == null) {
            return Availability.limited("KVM is present but the CPU reports no vmx/svm flag: this is a software-nested"
                    + " KVM (such as kvm_pvm) that runs only 64-bit user-mode guest code natively and emulates"
                    + " kernel code far too slowly to boot an operating system; use the emulator back end for that");
        }
        return Availability.full("KVM with hardware virtualization (" + flag + ")");
    }

    /** "vmx", "svm", or null when /proc/cpuinfo shows neither (or cannot be read). */
    static String hardwareVirtualizationFlag(Path cpuinfo) {
        try {
            var m = HW_FLAG.matcher(Files.readString(cpuinfo));
            return m.find() ? m.group(1) : null;
        } catch (IOException e) {
            return null;
        }
    }
}
