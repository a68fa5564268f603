package org.fedmil.data.tiles;

import org.fedmil.mil.data.BagIds;

/** Bag ids made from file names and patient ids, which may hold anything, by the rule of {@link BagIds}. */
final class SafeIds {

    private SafeIds() {
    }

    /**
     * {@code raw} with every character other than A-Z a-z 0-9 . _ - replaced by '_', runs of dots shortened so
     * no ".." remains, no leading dot, at most {@link BagIds#MAX_LENGTH} characters; "bag" if nothing is left.
     */
    static String of(String raw) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            boolean safe = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'
                    || c == '-' || c == '.';
            if (c == '.' && (s.length() == 0 || s.charAt(s.length() - 1) == '.')) {
                continue;
            }
            s.append(safe ? c : '_');
        }
        String id = s.length() > BagIds.MAX_LENGTH ? s.substring(0, BagIds.MAX_LENGTH) : s.toString();
        return id.isEmpty() ? "bag" : id;
    }
}
