package org.fedmil.protocol;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The reason a site gives the coordinator when it leaves, with every local path taken out. The coordinator writes
 * the reason into its round log, which every site and auditor may read, and a path says how a hospital's machine is
 * laid out (user names, mount points, project names). The site's console keeps the full message. The agent redacts
 * before sending (it knows its folders); the coordinator redacts again what it records, for agents that did not.
 */
public final class LeaveReason {

    /** Longest reason sent: the round log is not the place for stack traces. */
    public static final int MAX_LENGTH = 500;
    public static final String REDACTED = "<local path>";

    /**
     * An absolute path: a '/' or '~/' or a drive letter's "X:\" (or "X:/") that starts a word, then everything up to
     * whitespace or a quote. A '/' inside a word (e.g. "3/4", "and/or") is not one.
     */
    private static final String PATH_CHARS = "[^\\s'\"`,;()<>\\[\\]{}\u0001]";
    /** A path does not end in the full stop or the colon of its sentence ("cannot read /x/y: denied"). */
    private static final String PATH_TAIL = "(?:" + PATH_CHARS + "*[^\\s'\"`,;()<>\\[\\]{}\u0001.:])?";
    private static final Pattern ABSOLUTE = Pattern.compile(
            "(?<![\\w./\\\\:~-])(?:~?/|[A-Za-z]:[\\\\/]|\\\\\\\\)" + PATH_TAIL);
    /** A marker for a replaced folder, and what follows it up to the path's end (a file inside that folder). */
    private static final Pattern FOLDER_AND_REST = Pattern.compile("\u0001+" + PATH_TAIL);

    private LeaveReason() {
    }

    /**
     * {@code reason} with the given local folders (as configured, relative or not) and every absolute path replaced
     * by {@value #REDACTED}, on one line (control characters become a space), cut to {@value #MAX_LENGTH}
     * characters: the coordinator refuses a longer reason or one with control characters (docs/protocol.md).
     */
    public static String redact(String reason, Path... localFolders) {
        // \u0001 marks what was taken out below, so it cannot come from the reason itself (it is a control character)
        String text = reason == null ? "" : reason.replaceAll("\\p{Cc}+", " ");
        List<String> known = new ArrayList<>();
        for (Path p : localFolders) {
            if (p != null) {
                known.add(p.toString());
                known.add(p.toAbsolutePath().normalize().toString());
            }
        }
        // longest first, so that a folder inside another is not half replaced
        known.sort(Comparator.comparingInt(String::length).reversed());
        for (String k : known) {
            if (!k.isEmpty() && !k.equals(".")) {
                text = text.replace(k, "\u0001");
            }
        }
        text = FOLDER_AND_REST.matcher(text).replaceAll("\u0001");
        text = ABSOLUTE.matcher(text).replaceAll("\u0001");
        text = text.replace("\u0001", REDACTED);
        if (text.length() <= MAX_LENGTH) {
            return text;
        }
        int cut = Character.isHighSurrogate(text.charAt(MAX_LENGTH - 2)) ? MAX_LENGTH - 2 : MAX_LENGTH - 1;
        return text.substring(0, cut) + "…";
    }
}
