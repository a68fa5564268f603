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
        // every scalar field, default values included (proto3 does not mark a 0 or "" as set, but it was sent as
        // such, and an auditor comparing the log with a signed statement needs the 0); messages and oneof members
        // only when present
        Map<String, Object> out = new LinkedHashMap<>();
        for (FieldDescriptor f : message.getDescriptorForType().getFields()) {
            boolean scalar = !f.isRepeated() && f.getJavaType() != FieldDescriptor.JavaType.MESSAGE
                    && f.getContainingOneof() == null;
            if (scalar || (f.isRepeated() ? message.getRepeatedFieldCount(f) > 0 : message.hasField(f))) {
                out.put(f.getName(), value(message.getField(f)));
            }
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
