package org.fedmil.mil.eval;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;

/**
 * How undefined metrics travel in JSON. An undefined value (an AUC over one class, a loss over no bags) is NaN in
 * Java, and NaN is not JSON: Jackson would write it as the string "NaN", which other readers take for text. This
 * module writes NaN as {@code null} and reads {@code null} (and the "NaN" strings of files written before) back as
 * NaN into {@code double} fields, so a record of metrics survives the round trip unchanged. Boxed {@code Double}
 * fields read {@code null} as null: there null means "not measured".
 */
public final class MetricsJson {

    private MetricsJson() {
    }

    /** Register on every ObjectMapper that writes or reads metrics. */
    public static SimpleModule module() {
        SimpleModule module = new SimpleModule("fedmil-metrics-nan-as-null");
        module.addSerializer(Double.TYPE, new NanAsNull());
        module.addSerializer(Double.class, new NanAsNull());
        module.addDeserializer(Double.TYPE, new NullAsNan());
        return module;
    }

    private static final class NanAsNull extends StdSerializer<Double> {
        NanAsNull() {
            super(Double.class);
        }

        @Override
        public void serialize(Double value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            if (value.isNaN()) {
                gen.writeNull();
            } else {
                gen.writeNumber(value);
            }
        }
    }

    private static final class NullAsNan extends StdDeserializer<Double> {
        NullAsNan() {
            super(Double.TYPE);
        }

        @Override
        public Double deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (p.hasToken(JsonToken.VALUE_STRING)) {
                String text = p.getText().trim();
                try {
                    return Double.parseDouble(text);
                } catch (NumberFormatException e) {
                    return (Double) ctxt.handleWeirdStringValue(Double.TYPE, text, "not a number");
                }
            }
            if (p.hasToken(JsonToken.VALUE_NUMBER_INT) || p.hasToken(JsonToken.VALUE_NUMBER_FLOAT)) {
                return p.getDoubleValue();
            }
            return (Double) ctxt.handleUnexpectedToken(Double.TYPE, p);
        }

        @Override
        public Double getNullValue(DeserializationContext ctxt) {
            return Double.NaN;
        }

        /** A field missing from the file keeps Jackson's default for a primitive, as before this module. */
        @Override
        public Object getAbsentValue(DeserializationContext ctxt) {
            return 0.0;
        }
    }
}
