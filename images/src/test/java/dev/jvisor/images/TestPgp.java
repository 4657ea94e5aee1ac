package dev.jvisor.images;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;

import org.bouncycastle.bcpg.ArmoredOutputStream;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.generators.Ed25519KeyPairGenerator;
import org.bouncycastle.crypto.params.Ed25519KeyGenerationParameters;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPKeyPair;
import org.bouncycastle.openpgp.PGPKeyRingGenerator;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureGenerator;
import org.bouncycastle.openpgp.PGPSignatureSubpacketGenerator;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentSignerBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPDigestCalculatorProvider;
import org.bouncycastle.openpgp.operator.bc.BcPGPKeyPair;

/** A throw-away Ed25519 OpenPGP key that clear-signs text the way gpg does, for tests. */
final class TestPgp {
    private final PGPKeyPair keyPair;
    private final byte[] publicKeyRing;

    private TestPgp(Date created, long validSeconds) {
        try {
            Ed25519KeyPairGenerator generator = new Ed25519KeyPairGenerator();
            generator.init(new Ed25519KeyGenerationParameters(new SecureRandom()));
            AsymmetricCipherKeyPair pair = generator.generateKeyPair();
            keyPair = new BcPGPKeyPair(PublicKeyAlgorithmTags.EDDSA_LEGACY, pair, created);
            PGPSignatureSubpacketGenerator selfSignature = new PGPSignatureSubpacketGenerator();
            if (validSeconds > 0) {
                selfSignature.setKeyExpirationTime(false, validSeconds);
            }
            PGPKeyRingGenerator rings = new PGPKeyRingGenerator(PGPSignature.POSITIVE_CERTIFICATION, keyPair,
                    "jvisor test archive key <test@example.invalid>",
                    new BcPGPDigestCalculatorProvider().get(HashAlgorithmTags.SHA1), selfSignature.generate(), null,
                    new BcPGPContentSignerBuilder(PublicKeyAlgorithmTags.EDDSA_LEGACY, HashAlgorithmTags.SHA256),
                    null);
            publicKeyRing = rings.generatePublicKeyRing().getEncoded();
        } catch (PGPException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A key created now that never expires. */
    static TestPgp create() {
        return new TestPgp(new Date(), 0);
    }

    /** A key created ten days ago that expired after one day. */
    static TestPgp expired() {
        return new TestPgp(new Date(System.currentTimeMillis() - 10 * 86_400_000L), 86_400);
    }

    /** The public key ring, binary. */
    byte[] publicKeyRing() {
        return publicKeyRing.clone();
    }

    /** A keyring holding just this key. */
    ArchiveKeyring keyring() throws ImageException {
        return ArchiveKeyring.parse(publicKeyRing, "the test keyring");
    }

    /** Clear-signs {@code text} (RFC 4880 §7) with SHA-256. */
    byte[] clearSign(String text) {
        return clearSign(text, HashAlgorithmTags.SHA256);
    }

    /** Clear-signs {@code text} with the given hash algorithm. */
    byte[] clearSign(String text, int hashAlgorithm) {
        String body = text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
        List<String> lines = List.of(body.split("\n", -1));
        List<String> signedLines = new ArrayList<>();
        for (String line : lines) {
            signedLines.add(line.replaceAll("[ \t]+$", ""));
        }
        try {
            PGPSignatureGenerator generator = new PGPSignatureGenerator(
                    new BcPGPContentSignerBuilder(PublicKeyAlgorithmTags.EDDSA_LEGACY, hashAlgorithm));
            generator.init(PGPSignature.CANONICAL_TEXT_DOCUMENT, keyPair.getPrivateKey());
            generator.update(String.join("\r\n", signedLines).getBytes(StandardCharsets.UTF_8));
            PGPSignature signature = generator.generate();
            ByteArrayOutputStream armored = new ByteArrayOutputStream();
            try (ArmoredOutputStream out = ArmoredOutputStream.builder().clearHeaders().build(armored)) {
                signature.encode(out);
            }
            StringBuilder message = new StringBuilder("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n");
            for (String line : lines) {
                message.append(line.startsWith("-") ? "- " + line : line).append('\n');
            }
            message.append(armored.toString(StandardCharsets.US_ASCII));
            return message.toString().getBytes(StandardCharsets.UTF_8);
        } catch (PGPException | IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
