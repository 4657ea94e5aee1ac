package dev.jvisor.server.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.io.IOException;
import java.util.stream.Collectors;

/**
 * Strict JSON for the APIs and the state files: unknown fields, duplicate keys, trailing content,
 * numbers given as strings (or strings as numbers), fractions for integers and nulls for primitives
 * are all refused, and every refusal becomes one {@link JsonInputException} whose message names the
 * field and what it should be. Documents are bounded in depth and size, so no input can exhaust the
 * daemon.
 */
public final class Json {
    private static final ObjectMapper STRICT = build(PropertyNamingStrategies.SNAKE_CASE);

    private Json() {
    }

    private static ObjectMapper build(com.fasterxml.jackson.databind.PropertyNamingStrategy naming) {
        JsonMapper m = JsonMapper.builder()
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
                .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                .propertyNamingStrategy(naming)
                .build();
        m.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(32).maxStringLength(1 << 16).maxNumberLength(40).maxNameLength(256).build());
        for (LogicalType t : new LogicalType[]{LogicalType.Textual, LogicalType.Integer, LogicalType.Float,
                LogicalType.Boolean}) {
            var c = m.coercionConfigFor(t);
            for (CoercionInputShape s : new CoercionInputShape[]{CoercionInputShape.String, CoercionInputShape.Integer,
                    CoercionInputShape.Float, CoercionInputShape.Boolean, CoercionInputShape.EmptyString}) {
                c.setCoercion(s, CoercionAction.Fail);
            }
        }
        m.coercionConfigFor(LogicalType.Textual).setCoercion(CoercionInputShape.String, CoercionAction.TryConvert);
        m.coercionConfigFor(LogicalType.Textual).setCoercion(CoercionInputShape.EmptyString, CoercionAction.TryConvert);
        m.coercionConfigFor(LogicalType.Integer).setCoercion(CoercionInputShape.Integer, CoercionAction.TryConvert);
        m.coercionConfigFor(LogicalType.Float).setCoercion(CoercionInputShape.Float, CoercionAction.TryConvert);
        m.coercionConfigFor(LogicalType.Float).setCoercion(CoercionInputShape.Integer, CoercionAction.TryConvert);
        m.coercionConfigFor(LogicalType.Boolean).setCoercion(CoercionInputShape.Boolean, CoercionAction.TryConvert);
        return m;
    }

    /** The snake_case mapper (jvisor's API and Firecracker's). */
    public static ObjectMapper mapper() {
        return STRICT;
    }

    /** Parses {@code body} as a {@code type} with snake_case field names. */
    public static <T> T read(byte[] body, Class<T> type) throws JsonInputException {
        return read(STRICT, body, type);
    }

    static <T> T read(ObjectMapper mapper, byte[] body, Class<T> type) throws JsonInputException {
        if (body.length == 0) {
            throw new JsonInputException("the request needs a JSON body");
        }
        try {
            T value = mapper.readValue(body, type);
            if (value == null) {
                throw new JsonInputException("the body must be a JSON object, not null");
            }
            return value;
        } catch (UnrecognizedPropertyException e) {
            String known = e.getKnownPropertyIds() == null ? "" : e.getKnownPropertyIds().stream()
                    .map(Object::toString).sorted().collect(Collectors.joining(", "));
            throw new JsonInputException("unknown field '" + path(e) + "'" + (known.isEmpty() ? "" : " (known: " + known + ")"));
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new JsonInputException(cause.getMessage() != null ? cause.getMessage() : cause.toString());
        } catch (InvalidFormatException e) {
            throw new JsonInputException("field '" + path(e) + "' must be " + describe(e.getTargetType())
                    + ", not " + e.getValue());
        } catch (MismatchedInputException e) {
            String p = path(e);
            if (p.isEmpty()) {
                if (String.valueOf(e.getOriginalMessage()).startsWith("Trailing token")) {
                    throw new JsonInputException("malformed JSON: more content after the value");
                }
                throw new JsonInputException("the body must be a JSON object");
            }
            throw new JsonInputException("field '" + p + "' must be " + describe(e.getTargetType()));
        } catch (StreamConstraintsException e) {
            throw new JsonInputException("the JSON document is too large or too deep: " + e.getOriginalMessage());
        } catch (JsonMappingException e) {
            throw new JsonInputException("bad value for '" + path(e) + "': " + e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            throw new JsonInputException("malformed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new JsonInputException("unreadable JSON: " + e.getMessage());
        }
    }

    private static String path(JsonMappingException e) {
        return e.getPath().stream()
                .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
    }

    private static String describe(Class<?> type) {
        if (type == null) {
            return "of another type";
        }
        if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
            return "an integer";
        }
        if (type == boolean.class || type == Boolean.class) {
            return "true or false";
        }
        if (type == String.class) {
            return "a string";
        }
        if (java.util.List.class.isAssignableFrom(type)) {
            return "a list";
        }
        if (java.util.Map.class.isAssignableFrom(type)) {
            return "an object";
        }
        if (type.isEnum()) {
            return "one of " + java.util.Arrays.toString(type.getEnumConstants());
        }
        return "an object";
    }

    /** {@code value} as compact JSON (snake_case names). */
    public static String write(Object value) {
        try {
            return STRICT.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + value.getClass().getSimpleName(), e);
        }
    }

    /** {@code value} as indented JSON (the state files, for people who read them). */
    public static byte[] writePretty(Object value) {
        try {
            return STRICT.writerWithDefaultPrettyPrinter().writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + value.getClass().getSimpleName(), e);
        }
    }

}
