package org.fedmil.site.explain;

/** Escaping for text placed into HTML, element content and quoted attribute values alike. */
public final class Html {

    private Html() {
    }

    /**
     * Replaces {@code & < > " '} with character references, so that no text (a tile's file name, a federation
     * id from the coordinator, a path) can open a tag, end an attribute or start an entity.
     */
    public static String escape(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
