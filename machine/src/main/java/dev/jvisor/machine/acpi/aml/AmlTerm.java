package dev.jvisor.machine.acpi.aml;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A node of an AML tree (ACPI 6.4 §19.6 for the ASL each one corresponds to, §20.2 for the
 * encoding). Build trees with the factory methods of {@link Aml}; {@link #encode} emits the bytes.
 */
public sealed interface AmlTerm {
    /** Appends this term's AML encoding. */
    void encode(AmlWriter out);

    /** This term's AML encoding. */
    default byte[] toBytes() {
        AmlWriter out = new AmlWriter();
        encode(out);
        return out.toByteArray();
    }

    /** An integer constant. */
    record IntegerConst(long value) implements AmlTerm {
        @Override
        public void encode(AmlWriter out) {
            AmlEncoding.integer(out, value);
        }
    }

    /** A string constant: StringPrefix, ASCII characters 0x01-0x7F, NUL. */
    record StringConst(String value) implements AmlTerm {
        public StringConst {
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c < 0x01 || c > 0x7F) {
                    throw new IllegalArgumentException("AML strings are ASCII without NUL: " + value);
                }
            }
        }

        @Override
        public void encode(AmlWriter out) {
            out.u8(0x0D).bytes(value.getBytes(StandardCharsets.US_ASCII)).u8(0);
        }
    }

    /** A reference to a named object, e.g. a package element naming a device. */
    record NameRef(String path) implements AmlTerm {
        @Override
        public void encode(AmlWriter out) {
            out.bytes(AmlEncoding.nameString(path));
        }
    }

    /** {@code Name(name, value)}: NameOp NameString DataRefObject. */
    record Name(String name, AmlTerm value) implements AmlTerm {
        @Override
        public void encode(AmlWriter out) {
            out.u8(0x08).bytes(AmlEncoding.nameString(name));
            value.encode(out);
        }
    }

    /** {@code Scope(path) {...}}: ScopeOp PkgLength NameString TermList. */
    record Scope(String path, List<AmlTerm> body) implements AmlTerm {
        public Scope {
            body = List.copyOf(body);
        }

        @Override
        public void encode(AmlWriter out) {
            out.u8(0x10);
            withLength(out, AmlEncoding.nameString(path), body);
        }
    }

    /** {@code Device(path) {...}}: ExtOpPrefix DeviceOp PkgLength NameString TermList. */
    record Device(String path, List<AmlTerm> body) implements AmlTerm {
        public Device {
            body = List.copyOf(body);
        }

        @Override
        public void encode(AmlWriter out) {
            out.u8(0x5B).u8(0x82);
            withLength(out, AmlEncoding.nameString(path), body);
        }
    }

    /**
     * {@code Method(name, args, serialized) {...}}: MethodOp PkgLength NameString MethodFlags
     * TermList, where MethodFlags holds the argument count in bits 0-2 and SerializeFlag in bit 3.
     */
    record Method(String name, int argCount, boolean serialized, List<AmlTerm> body) implements AmlTerm {
        public Method {
            if (argCount < 0 || argCount > 7) {
                throw new IllegalArgumentException("AML methods take 0-7 arguments, not " + argCount);
            }
            body = List.copyOf(body);
        }

        @Override
        public void encode(AmlWriter out) {
            AmlWriter head = new AmlWriter().bytes(AmlEncoding.nameString(name)).u8(argCount | (serialized ? 8 : 0));
            out.u8(0x14);
            withLength(out, head.toByteArray(), body);
        }
    }

    /** {@code Return(value)}: ReturnOp ArgObject. */
    record Return(AmlTerm value) implements AmlTerm {
        @Override
        public void encode(AmlWriter out) {
            out.u8(0xA4);
            value.encode(out);
        }
    }

    /** {@code Package() {...}}: PackageOp PkgLength NumElements PackageElementList. */
    record Package(List<AmlTerm> elements) implements AmlTerm {
        public Package {
            if (elements.size() > 255) {
                throw new IllegalArgumentException("an AML Package holds at most 255 elements, not " + elements.size());
            }
            elements = List.copyOf(elements);
        }

        @Override
        public void encode(AmlWriter out) {
            out.u8(0x12);
            withLength(out, new byte[]{(byte) elements.size()}, elements);
        }
    }

    /** {@code Buffer() {...}}: BufferOp PkgLength BufferSize ByteList. */
    record Buffer(byte[] data) implements AmlTerm {
        public Buffer {
            data = data.clone();
        }

        @Override
        public byte[] data() {
            return data.clone();
        }

        @Override
        public void encode(AmlWriter out) {
            AmlWriter body = new AmlWriter();
            AmlEncoding.integer(body, data.length);
            body.bytes(data);
            out.u8(0x11);
            AmlEncoding.pkgLength(out, body.size());
            out.bytes(body.toByteArray());
        }
    }

    /** Writes PkgLength, then {@code head}, then the encoded {@code body}. */
    private static void withLength(AmlWriter out, byte[] head, List<AmlTerm> body) {
        AmlWriter inner = new AmlWriter().bytes(head);
        for (AmlTerm term : body) {
            term.encode(inner);
        }
        AmlEncoding.pkgLength(out, inner.size());
        out.bytes(inner.toByteArray());
    }
}
