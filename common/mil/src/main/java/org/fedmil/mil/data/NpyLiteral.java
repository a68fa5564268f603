package org.fedmil.mil.data;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The subset of Python literal syntax numpy writes in headers: a dict of strings, booleans, integers and
 * tuples. Hand-written because the header must be parsed without evaluating anything.
 */
final class NpyLiteral {
    private final String s;
    private int pos;

    NpyLiteral(String s) {
        this.s = s;
    }

    Map<String, Object> parseHeader() {
        skipSpace();
        expect('{');
        Map<String, Object> dict = new LinkedHashMap<>();
        skipSpace();
        while (peek() != '}') {
            Object key = value();
            if (!(key instanceof String k)) {
                throw new IllegalArgumentException("dictionary key " + key + " is not a string");
            }
            skipSpace();
            expect(':');
            dict.put(k, value());
            skipSpace();
            if (peek() == ',') {
                pos++;
                skipSpace();
            } else if (peek() != '}') {
                throw error("expected ',' or '}'");
            }
        }
        pos++;
        skipSpace();
        if (pos != s.length()) {
            throw error("unexpected text after the dictionary");
        }
        return dict;
    }

    private Object value() {
        skipSpace();
        char c = peek();
        if (c == '\'' || c == '"') {
            return string(c);
        }
        if (c == '(' || c == '[') {
            return sequence(c == '(' ? ')' : ']');
        }
        if (c == '-' || Character.isDigit(c)) {
            return integer();
        }
        if (Character.isLetter(c)) {
            int start = pos;
            while (pos < s.length() && Character.isLetterOrDigit(s.charAt(pos))) {
                pos++;
            }
            String word = s.substring(start, pos);
            return switch (word) {
                case "True" -> Boolean.TRUE;
                case "False" -> Boolean.FALSE;
                case "None" -> "None";
                default -> throw new IllegalArgumentException("unexpected word '" + word + "'");
            };
        }
        throw error("unexpected character '" + c + "'");
    }

    private String string(char quote) {
        pos++;
        int end = s.indexOf(quote, pos);
        if (end < 0) {
            throw error("unterminated string");
        }
        String value = s.substring(pos, end);
        pos = end + 1;
        return value;
    }

    private List<Object> sequence(char close) {
        pos++;
        List<Object> items = new ArrayList<>();
        skipSpace();
        while (peek() != close) {
            items.add(value());
            skipSpace();
            if (peek() == ',') {
                pos++;
                skipSpace();
            } else if (peek() != close) {
                throw error("expected ',' or '" + close + "'");
            }
        }
        pos++;
        return items;
    }

    private Long integer() {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        while (pos < s.length() && Character.isDigit(s.charAt(pos))) {
            pos++;
        }
        String digits = s.substring(start, pos);
        if (pos < s.length() && s.charAt(pos) == 'L') {
            pos++; // Python 2 wrote long integers as 3L
        }
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw error("bad integer '" + digits + "'");
        }
    }

    private char peek() {
        if (pos >= s.length()) {
            throw error("header ends early");
        }
        return s.charAt(pos);
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("expected '" + c + "'");
        }
        pos++;
    }

    private void skipSpace() {
        while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
            pos++;
        }
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException(what + " at character " + pos);
    }
}
