package org.fedmil.audit;

import java.util.List;

/**
 * The record types of one kind of signed JSON Lines log (the coordinator's round log, a site's egress log) and
 * what each must hold, so that one writer ({@link RoundLog}) and one verifier serve both.
 */
public interface LogSchema {

    /** A short name for messages: "round log", "egress log". */
    String name();

    /** The type of every log's first record, which introduces the signing certificate. */
    String firstType();

    /** The event fields {@code type} requires, or null for an unknown type. */
    List<String> required(String type);

    /** True for the types whose record carries the certificate that signs it and the records after it. */
    boolean introducesKey(String type);

    /** The extended key usage OID the signing certificate must carry (serverAuth, clientAuth). */
    String signerKeyUsage();

    /** Which party signs: "coordinator", "site". */
    String signer();
}
