package org.fedmil.data.tiles;

import java.util.ArrayList;
import java.util.List;

/** One line of a spreadsheet's CSV export: comma-separated, fields optionally in double quotes ("" is a quote). */
public final class CsvLine {

    private CsvLine() {
    }

    /** The fields of {@code line}, unquoted and stripped of surrounding spaces. */
    public static List<String> split(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder f = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    f.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    f.append(c);
                }
            } else if (c == '"' && f.toString().isBlank()) {
                f.setLength(0);
                quoted = true;
            } else if (c == ',') {
                out.add(f.toString().strip());
                f.setLength(0);
            } else {
                f.append(c);
            }
        }
        out.add(f.toString().strip());
        return out;
    }
}
