package org.fedmil.util;

import java.nio.file.AccessDeniedException;

/**
 * Turns a bare {@link AccessDeniedException} into what an administrator can act on: the file, the user the process
 * runs as (a service runs as {@code fedmil}, not as the admin who copied the files) and the fix.
 */
public final class Unreadable {

    private Unreadable() {
    }

    /** For a file that was being read: "FILE is not readable by user U ...; fix". */
    public static String notReadable(AccessDeniedException e) {
        return notReadable(fileOf(e), System.getProperty("user.name"));
    }

    /** For a read or a write: "permission denied on FILE for user U ...; fix". */
    public static String denied(AccessDeniedException e) {
        String user = System.getProperty("user.name");
        return "permission denied on " + fileOf(e) + " for user " + user + " (the user this command runs as); "
                + fix(fileOf(e), user);
    }

    /** As {@link #notReadable} without the file in front, for messages that start with it already. */
    public static String reason(AccessDeniedException e) {
        return reason(fileOf(e), System.getProperty("user.name"));
    }

    static String notReadable(String file, String user) {
        return file + " is " + reason(file, user);
    }

    static String reason(String file, String user) {
        return "not readable by user " + user + " (the user this process runs as); " + fix(file, user);
    }

    private static String fix(String file, String user) {
        return "give " + user + " access (e.g. `chown " + user + " " + file + "`, or `chgrp` to a group " + user
                + " is in and `chmod g+r`; every folder above it needs x for that user too) or run as the user that "
                + "owns it";
    }

    private static String fileOf(AccessDeniedException e) {
        return e.getFile() == null ? "a file" : e.getFile();
    }
}
