package org.fedmil.site.check;

import java.util.Locale;

/**
 * One line of {@code fedmil site check}.
 *
 * @param check  what was checked: data, certificate, key, coordinator, device
 * @param status the verdict
 * @param detail what was found, or what is wrong and what to do
 */
public record CheckResult(String check, Status status, String detail) {

    public enum Status {
        /** fine */
        PASS,
        /** fine today, needs attention soon (a certificate expiring within 30 days) */
        WARN,
        /** the agent would not work */
        FAIL,
        /** not tried, because a check it depends on failed */
        SKIP;

        /** Whether the agent can run with this result. */
        public boolean ok() {
            return this == PASS || this == WARN;
        }
    }

    static CheckResult pass(String check, String detail) {
        return new CheckResult(check, Status.PASS, detail);
    }

    static CheckResult warn(String check, String detail) {
        return new CheckResult(check, Status.WARN, detail);
    }

    static CheckResult fail(String check, String detail) {
        return new CheckResult(check, Status.FAIL, detail);
    }

    static CheckResult skip(String check, String detail) {
        return new CheckResult(check, Status.SKIP, detail);
    }

    /** e.g. {@code PASS  data         120 bags of 32 features (60 negative, 60 positive) in /data/bags}. */
    public String line() {
        return String.format(Locale.ROOT, "%-4s  %-12s %s", status, check, detail);
    }
}
