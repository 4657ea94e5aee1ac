package dev.jvisor.machine.acpi.aml;

import java.util.List;

/**
 * Factory methods that read like the ASL they encode:
 * {@code device("COM1", name("_HID", eisaId("PNP0501")), name("_CRS", resources))}.
 */
public final class Aml {
    private Aml() {
    }

    public static AmlTerm integer(long value) {
        return new AmlTerm.IntegerConst(value);
    }

    public static AmlTerm string(String value) {
        return new AmlTerm.StringConst(value);
    }

    /** {@code EISAID("PNP0A03")}: the compressed ID as an integer constant. */
    public static AmlTerm eisaId(String id) {
        return new AmlTerm.IntegerConst(AmlEncoding.eisaId(id));
    }

    public static AmlTerm nameRef(String path) {
        return new AmlTerm.NameRef(path);
    }

    public static AmlTerm name(String name, AmlTerm value) {
        return new AmlTerm.Name(name, value);
    }

    public static AmlTerm scope(String path, List<AmlTerm> body) {
        return new AmlTerm.Scope(path, body);
    }

    public static AmlTerm scope(String path, AmlTerm... body) {
        return scope(path, List.of(body));
    }

    public static AmlTerm device(String path, List<AmlTerm> body) {
        return new AmlTerm.Device(path, body);
    }

    public static AmlTerm device(String path, AmlTerm... body) {
        return device(path, List.of(body));
    }

    public static AmlTerm method(String name, int argCount, boolean serialized, AmlTerm... body) {
        return new AmlTerm.Method(name, argCount, serialized, List.of(body));
    }

    public static AmlTerm returnValue(AmlTerm value) {
        return new AmlTerm.Return(value);
    }

    public static AmlTerm pkg(List<AmlTerm> elements) {
        return new AmlTerm.Package(elements);
    }

    public static AmlTerm pkg(AmlTerm... elements) {
        return pkg(List.of(elements));
    }

    /** A package of integer constants. */
    public static AmlTerm pkgOfIntegers(long... values) {
        AmlTerm[] elements = new AmlTerm[values.length];
        for (int i = 0; i < values.length; i++) {
            elements[i] = integer(values[i]);
        }
        return pkg(elements);
    }

    public static AmlTerm buffer(byte[] data) {
        return new AmlTerm.Buffer(data);
    }
}
