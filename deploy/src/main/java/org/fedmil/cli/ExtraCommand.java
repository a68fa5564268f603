package org.fedmil.cli;

/**
 * A top-level {@code fedmil} command that is not part of the install package but joins the launcher when its jar is
 * on the class path: the benchmarks ({@code fedmil bench}), which a source checkout's {@code ./fedmil} adds from
 * {@code deploy/bench}. Found with {@link java.util.ServiceLoader}, so the product has no compile-time tie to it.
 */
public interface ExtraCommand {

    /** The picocli command object (a class annotated with {@code @Command}) to add under {@code fedmil}. */
    Object command();
}
