package org.fedmil.site.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fedmil.proto.v1.FederationProto;
import org.junit.jupiter.api.Test;

/**
 * Every field of every message a site can send the coordinator (the request of every Federation RPC, walked through
 * its nested messages) must be listed in docs/privacy.md's table "Every field a site sends", and every row there must
 * name a field that exists: a new field cannot leave a site without a privacy auditor being told what it holds.
 */
class EgressFieldsDocTest {

    private static final Path DOC = Path.of("../docs/privacy.md");
    private static final String SECTION = "## Every field a site sends";
    private static final Pattern ROW = Pattern.compile("^\\|\\s*`([A-Za-z0-9_]+\\.[A-Za-z0-9_]+)`\\s*\\|");

    static Set<String> fieldsSitesSend() {
        ServiceDescriptor service = FederationProto.getDescriptor().findServiceByName("Federation");
        Set<String> fields = new TreeSet<>();
        Set<String> seen = new LinkedHashSet<>();
        for (MethodDescriptor m : service.getMethods()) {
            walk(m.getInputType(), fields, seen);
        }
        return fields;
    }

    private static void walk(Descriptor message, Set<String> fields, Set<String> seen) {
        if (!seen.add(message.getFullName())) {
            return;
        }
        for (FieldDescriptor f : message.getFields()) {
            fields.add(message.getName() + "." + f.getName());
            if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
                walk(f.getMessageType(), fields, seen);
            }
        }
    }

    static List<String> documented() throws Exception {
        List<String> lines = Files.readAllLines(DOC);
        int start = lines.indexOf(SECTION);
        assertThat(start).as(DOC + " must have the section '" + SECTION + "'").isNotNegative();
        List<String> rows = new ArrayList<>();
        for (String line : lines.subList(start + 1, lines.size())) {
            if (line.startsWith("## ")) {
                break;
            }
            Matcher m = ROW.matcher(line);
            if (m.find()) {
                rows.add(m.group(1));
            }
        }
        return rows;
    }

    @Test
    void theWalkFindsTheFieldsOfNestedMessagesToo() {
        assertThat(fieldsSitesSend()).contains("LeaveRequest.reason", "UpdateChunk.data",
                "UpdateHeader.privacy", "PrivacyClaim.epsilon_spent", "ValidationSummary.auc", "LabelCount.bags");
    }

    @Test
    void everyFieldASiteSendsIsListedInPrivacyMd() throws Exception {
        Set<String> documented = new TreeSet<>(documented());
        Set<String> missing = new TreeSet<>(fieldsSitesSend());
        missing.removeAll(documented);
        assertThat(missing).as("fields a site sends that docs/privacy.md's table '" + SECTION + "' does not list; add "
                + "a row `Message.field` | what it holds, for each").isEmpty();
    }

    @Test
    void everyListedFieldExistsAndIsListedOnce() throws Exception {
        List<String> rows = documented();
        Set<String> stale = new TreeSet<>(rows);
        stale.removeAll(fieldsSitesSend());
        assertThat(stale).as("rows of docs/privacy.md's table '" + SECTION + "' naming no field a site sends").isEmpty();
        assertThat(rows).doesNotHaveDuplicates();
    }
}
