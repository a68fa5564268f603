package org.fedmil.mil.data;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The rule for bag ids. An id becomes a file name ({@code bags/<id>.npy}), so it is restricted to characters
 * that are safe and mean the same on every file system, and can never point outside the bags folder.
 */
public final class BagIds {

    public static final int MAX_LENGTH = 128;
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._-]+");

    private BagIds() {
    }

    /** Why {@code id} is not acceptable, or empty if it is. */
    public static Optional<String> problem(String id) {
        if (id.isEmpty()) {
            return Optional.of("bag id is empty");
        }
        if (id.contains("/") || id.contains("\\")) {
            return Optional.of("bag id '" + id + "' contains a path separator; bag ids name files inside the "
                    + "bags folder and must not point elsewhere (path traversal is refused)");
        }
        if (id.contains("..")) {
            return Optional.of("bag id '" + id + "' contains '..'; bag ids name files inside the bags folder and "
                    + "must not point elsewhere (path traversal is refused)");
        }
        if (id.startsWith(".")) {
            return Optional.of("bag id '" + id + "' starts with '.', which names a hidden file; start it with a "
                    + "letter or digit");
        }
        if (id.length() > MAX_LENGTH) {
            return Optional.of("bag id '" + id.substring(0, 20) + "…' is " + id.length() + " characters long; "
                    + "the limit is " + MAX_LENGTH);
        }
        if (!SAFE.matcher(id).matches()) {
            return Optional.of("bag id '" + id + "' contains characters other than letters A-Z a-z, digits, "
                    + "'.', '_' and '-'; rename the bag (e.g. replace spaces with '_')");
        }
        return Optional.empty();
    }
}
