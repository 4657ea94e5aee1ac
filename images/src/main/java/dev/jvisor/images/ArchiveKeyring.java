package dev.jvisor.images;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

import org.bouncycastle.bcpg.ArmoredInputStream;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.bc.BcPGPObjectFactory;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentVerifierBuilderProvider;

/**
 * The OpenPGP keys trusted to sign the Debian archive, and verification of clear-signed
 * {@code InRelease} files against them — the first link of apt's chain of trust (InRelease signature
 * → index SHA-256 → package SHA-256; see apt-secure(8)).
 *
 * <p>Acceptance follows apt: at least one good signature by a key in this keyring is required;
 * signatures by unknown, expired or revoked keys or with a weak hash (MD5, SHA-1, RIPEMD-160) are not
 * counted; a signature by a known key that does not verify is a hard error, because it means the text
 * was altered. Instances are immutable and safe to share between threads.
 */
public final class ArchiveKeyring {
    /** Debian's keyring as installed by the {@code debian-archive-keyring} package. */
    public static final Path SYSTEM_KEYRING = Path.of("/usr/share/keyrings/debian-archive-keyring.gpg");
    /** The copy shipped in this module, taken from {@code debian-archive-keyring} 2023.3+deb12u2. */
    static final String BUNDLED_KEYRING = "debian-archive-keyring.gpg";

    private static final Set<Integer> WEAK_HASHES = Set.of(HashAlgorithmTags.MD5, HashAlgorithmTags.SHA1,
            HashAlgorithmTags.RIPEMD160, HashAlgorithmTags.MD2, HashAlgorithmTags.TIGER_192,
            HashAlgorithmTags.HAVAL_5_160);

    private final PGPPublicKeyRingCollection keys;
    private final String source;

    private ArchiveKeyring(PGPPublicKeyRingCollection keys, String source) {
        this.keys = keys;
        this.source = source;
    }

    /**
     * The Debian archive keyring: the system's {@link #SYSTEM_KEYRING} when it exists, otherwise the
     * copy bundled with this module.
     */
    public static ArchiveKeyring debian() throws ImageException {
        if (Files.isReadable(SYSTEM_KEYRING)) {
            return load(SYSTEM_KEYRING);
        }
        return bundled();
    }

    /** The copy of the Debian archive keyring bundled with this module. */
    public static ArchiveKeyring bundled() throws ImageException {
        try (InputStream in = ArchiveKeyring.class.getResourceAsStream(BUNDLED_KEYRING)) {
            if (in == null) {
                throw new ImageException("the bundled Debian archive keyring " + BUNDLED_KEYRING + " is missing");
            }
            return parse(in.readAllBytes(), "the bundled Debian archive keyring");
        } catch (IOException e) {
            throw new ImageException("cannot read the bundled Debian archive keyring: " + e.getMessage(), e);
        }
    }

    /** A keyring file, binary or ASCII-armored. */
    public static ArchiveKeyring load(Path file) throws ImageException {
        try {
            return parse(Files.readAllBytes(file), file.toString());
        } catch (IOException e) {
            throw new ImageException("cannot read keyring " + file + ": " + e.getMessage(), e);
        }
    }

    /** A keyring from bytes, binary or ASCII-armored. */
    public static ArchiveKeyring parse(byte[] keyring, String source) throws ImageException {
        try (InputStream in = PGPUtil.getDecoderStream(new ByteArrayInputStream(keyring))) {
            PGPPublicKeyRingCollection keys = new PGPPublicKeyRingCollection(in, new BcKeyFingerprintCalculator());
            if (keys.size() == 0) {
                throw new ImageException("keyring " + source + " contains no keys");
            }
            return new ArchiveKeyring(keys, source);
        } catch (IOException | PGPException e) {
            throw new ImageException("keyring " + source + " is not a valid OpenPGP keyring: " + e.getMessage(), e);
        }
    }

    /** Where the keys came from (a path or "the bundled ..."). */
    public String source() {
        return source;
    }

    /** The number of primary keys. */
    public int size() {
        return keys.size();
    }

    /**
     * Verifies a clear-signed message.
     *
     * @param origin what was verified, for messages (e.g. the InRelease URL)
     * @return the upper-case hex fingerprints of the keys whose signatures verified
     * @throws VerificationException when no trusted key made a good signature, or a signature by a
     *                               trusted key is bad
     */
    public List<String> verify(ClearSignedMessage message, String origin) throws VerificationException {
        List<PGPSignature> signatures = readSignatures(message.signatureBlock(), origin);
        byte[] signed = message.signedBytes();
        List<String> good = new ArrayList<>();
        List<String> ignored = new ArrayList<>();
        for (PGPSignature signature : signatures) {
            String keyId = String.format("%016X", signature.getKeyID());
            PGPPublicKey key = keys.getPublicKey(signature.getKeyID());
            if (key == null) {
                ignored.add(keyId + " (not in " + source + ")");
                continue;
            }
            String reason = unusableReason(signature, key);
            if (reason != null) {
                ignored.add(keyId + " (" + reason + ")");
                continue;
            }
            boolean valid;
            try {
                signature.init(new BcPGPContentVerifierBuilderProvider(), key);
                signature.update(signed);
                valid = signature.verify();
            } catch (PGPException e) {
                throw new VerificationException(origin + ": cannot check the signature by key " + keyId + ": "
                        + e.getMessage(), e);
            }
            if (!valid) {
                throw new VerificationException(origin + ": BAD signature by trusted key " + keyId
                        + ": the file was altered or corrupted in transit");
            }
            good.add(HexFormat.of().withUpperCase().formatHex(key.getFingerprint()));
        }
        if (good.isEmpty()) {
            throw new VerificationException(origin + ": no good signature by a key in " + source
                    + (ignored.isEmpty() ? "" : "; signatures not counted: " + String.join(", ", ignored)));
        }
        return List.copyOf(good);
    }

    /** Why a signature by a known key cannot count, or null when it can. */
    private String unusableReason(PGPSignature signature, PGPPublicKey key) {
        int type = signature.getSignatureType();
        if (type != PGPSignature.CANONICAL_TEXT_DOCUMENT && type != PGPSignature.BINARY_DOCUMENT) {
            return "not a document signature";
        }
        if (WEAK_HASHES.contains(signature.getHashAlgorithm())) {
            return "weak hash algorithm " + signature.getHashAlgorithm();
        }
        if (key.hasRevocation()) {
            return "key revoked";
        }
        PGPPublicKeyRing ring = keys.getPublicKeyRing(signature.getKeyID());
        if (ring != null && ring.getPublicKey().hasRevocation()) {
            return "primary key revoked";
        }
        long validSeconds = key.getValidSeconds();
        if (validSeconds > 0) {
            Instant expiry = key.getCreationTime().toInstant().plusSeconds(validSeconds);
            if (signature.getCreationTime().toInstant().isAfter(expiry)) {
                return "key expired on " + expiry;
            }
        }
        return null;
    }

    private static List<PGPSignature> readSignatures(String block, String origin) throws VerificationException {
        List<PGPSignature> signatures = new ArrayList<>();
        try (InputStream armored = ArmoredInputStream.builder().setParseForHeaders(true).build(
                new ByteArrayInputStream(block.getBytes(StandardCharsets.US_ASCII)))) {
            BcPGPObjectFactory objects = new BcPGPObjectFactory(armored);
            for (Object object = objects.nextObject(); object != null; object = objects.nextObject()) {
                if (!(object instanceof PGPSignatureList list)) {
                    throw new VerificationException(origin + ": the signature block holds a "
                            + object.getClass().getSimpleName() + " instead of signatures");
                }
                list.forEach(signatures::add);
            }
        } catch (IOException | RuntimeException e) {
            throw new VerificationException(origin + ": the signature block is malformed: " + e.getMessage(), e);
        }
        if (signatures.isEmpty()) {
            throw new VerificationException(origin + ": the signature block holds no signature");
        }
        return signatures;
    }
}
