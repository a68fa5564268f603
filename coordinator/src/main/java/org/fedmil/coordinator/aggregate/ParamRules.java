package org.fedmil.coordinator.aggregate;

/**
 * Defaults and range checks for the strategy parameter records. A value out of range is refused with its key, the
 * value and what was expected; {@link StrategySettings} turns the exception into the configuration's message.
 */
final class ParamRules {

    private ParamRules() {
    }

    /** {@code value}, or {@code dflt} if unset; refused unless positive and finite. */
    static double positive(String key, Double value, double dflt, String expected) {
        double v = value == null ? dflt : value;
        check(key, v, v > 0 && Double.isFinite(v), expected);
        return v;
    }

    /** {@code value}, or {@code dflt} if unset; refused unless in [from, below). */
    static double inRange(String key, Double value, double dflt, double from, double below) {
        double v = value == null ? dflt : value;
        check(key, v, v >= from && v < below, "a number in [" + num(from) + ", " + num(below) + ")");
        return v;
    }

    /** {@code value}, or {@code dflt} if unset; refused if below {@code min}. */
    static int atLeast(String key, Integer value, int dflt, int min) {
        int v = value == null ? dflt : value;
        check(key, v, v >= min, "at least " + min);
        return v;
    }

    private static void check(String key, Object value, boolean ok, String expected) {
        if (!ok) {
            throw new IllegalArgumentException("key 'strategy." + key + "' is " + value + ", expected " + expected);
        }
    }

    private static String num(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }
}
