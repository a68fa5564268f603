package org.fedmil.pki;

/**
 * Who a certificate was issued to. The organizational unit is what the coordinator reads back
 * from a peer certificate to decide what the peer may call, so it must never change.
 */
public enum PartyKind {
    COORDINATOR("coordinator"),
    SITE("site"),
    ADMIN("admin");

    private final String organizationalUnit;

    PartyKind(String organizationalUnit) {
        this.organizationalUnit = organizationalUnit;
    }

    public String organizationalUnit() {
        return organizationalUnit;
    }
}
