package org.fedmil.site.task;

/**
 * The federation this site joined and its name there, as the last Join answered. Executors and filters read it at
 * the moment they act, so a rejoin is seen everywhere at once.
 */
public final class Membership {

    private volatile String federationId = "";
    private volatile String siteId = "";

    /** Records a Join's answer; true when it names another federation than before. */
    public boolean joined(String federationId, String siteId) {
        boolean changed = !federationId.equals(this.federationId);
        this.federationId = federationId;
        this.siteId = siteId;
        return changed;
    }

    /** Empty until this site has joined. */
    public String federationId() {
        return federationId;
    }

    public String siteId() {
        return siteId;
    }

    public boolean hasJoined() {
        return !federationId.isEmpty();
    }
}
