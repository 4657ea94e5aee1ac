/**
 * The default guest image: Debian bookworm's {@code linux-image-cloud-amd64} kernel and an initramfs
 * built from {@code busybox-static}, fetched from Debian's archive by this module's own code (no apt,
 * no dpkg) and cached under the user's cache directory.
 *
 * <h2>Chain of trust (as apt-secure(8))</h2>
 * <ol>
 *   <li>{@link dev.jvisor.images.DebianArchive} fetches {@code dists/<suite>/InRelease}; its OpenPGP
 *       clear signature must verify against the Debian archive keyring
 *       ({@link dev.jvisor.images.ArchiveKeyring}); only the signed text is used; it must name the
 *       requested suite and not be past its {@code Valid-Until}.</li>
 *   <li>{@code main/binary-amd64/Packages.xz} must have the size and SHA-256 that signed text lists.</li>
 *   <li>Each {@code .deb} must have the size and SHA-256 its Packages entry lists.</li>
 * </ol>
 * Any mismatch is a {@link dev.jvisor.images.VerificationException}; nothing unverified is cached.
 *
 * <h2>Entry points</h2>
 * {@link dev.jvisor.images.DefaultImage#ensure} (fetch-or-reuse the image),
 * {@link dev.jvisor.images.InitramfsBuilder} (newc cpio + gzip, for extra test files), and the
 * building blocks: {@link dev.jvisor.images.DebianVersion} (dpkg ordering),
 * {@link dev.jvisor.images.DebPackage} (ar + data.tar), {@link dev.jvisor.images.KernelPackage} and
 * {@link dev.jvisor.images.ModuleGraph} (modules and their load order).
 *
 * <h2>Cache layout</h2>
 * {@code <cache>/default-image-v1/}: {@code vmlinuz-<release>}, {@code config-<release>},
 * {@code initrd-<release>.cpio.gz} and {@code manifest} (names, sizes and SHA-256s; written last, by
 * atomic rename). {@code downloads/} holds verified {@code .deb}s only while a build is in progress
 * or after it failed, so the next attempt can reuse them.
 */
package dev.jvisor.images;
