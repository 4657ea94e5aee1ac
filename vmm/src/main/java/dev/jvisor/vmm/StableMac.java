package dev.jvisor.vmm;

import dev.jvisor.io.net.MacAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * MAC addresses for interfaces given without {@code mac=}: derived from a seed, so the same VM
 * configuration gets the same address at every boot (DHCP leases and the guest's interface naming
 * stay put), yet different VMs differ.
 *
 * <p>The seed is the VM's first writable drive (its identity: two running VMs can never share one,
 * the image lock sees to that) or, for a VM without one, the interface's attachment; the interface's
 * index is mixed in. The address is locally administered and unicast (IEEE 802-2014 §8.2: bit 1 of
 * the first octet set, bit 0 clear), so it never clashes with a vendor-assigned one.
 */
public final class StableMac {
    private StableMac() {
    }

    /** The address for interface number {@code index} of a VM whose seed is {@code seed}. */
    public static MacAddress derive(String seed, int index) {
        byte[] digest;
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update("jvisor-mac\0".getBytes(StandardCharsets.US_ASCII));
            sha.update(seed.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(Integer.toString(index).getBytes(StandardCharsets.US_ASCII));
            digest = sha.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e); // JCA standard names
        }
        long bits = 0;
        for (int i = 0; i < 6; i++) {
            bits = bits << 8 | (digest[i] & 0xff);
        }
        bits = (bits & ~(0x01L << 40)) | (0x02L << 40);
        return new MacAddress(bits);
    }
}
