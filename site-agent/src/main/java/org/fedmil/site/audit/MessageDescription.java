package org.fedmil.site.audit;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every field a message carries, as JSON-friendly values (bytes as hex), read from the message's descriptor rather
 * than listed by hand, so a field added to the protocol later is described in the egress log without anyone having
 * to remember it.
 */
final class MessageDescription {

    private MessageDescription() {
    }

    static Map<String, Object> of(Message message) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<FieldDescriptor, Object> e : message.getAllFields().entrySet()) {
            out.put(e.getKey().getName(), value(e.getValue()));
        }
        return out;
    }

    private static Object value(Object v) {
        if (v instanceof Message m) {
            return of(m);
        }
        if (v instanceof ByteString b) {
            return HexFormat.of().formatHex(b.toByteArray());
        }
        if (v instanceof EnumValueDescriptor e) {
            return e.getName();
        }
        if (v instanceof List<?> list) {
            List<Object> out = new ArrayList<>(list.size());
            for (Object o : list) {
                out.add(value(o));
            }
            return out;
        }
        if (v instanceof Float f) {
            return f.doubleValue();
        }
        return v;
    }
}
