package org.fedmil.data.tiles;

/** Quoting for CSV fields written by the tiles report, so file names with commas stay one field. */
public final class CsvText {

    private CsvText() {
    }

    public static String field(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0) {
            return s;
        }
        return '"' + s.replace("\"", "\"\"") + '"';
    }
}
