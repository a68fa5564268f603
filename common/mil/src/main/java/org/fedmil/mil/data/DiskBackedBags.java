package org.fedmil.mil.data;

/**
 * Marks a bag list whose {@code get} reads (decodes) the bag from disk on every call, such as a tile site's. The
 * trainer reads the next bag of such a list on a background thread; a list in memory is read inline, because
 * handing each bag to and from another thread costs more than the read (a thread wake-up per step showed as a
 * third of the samples when profiling training on in-memory feature bags).
 */
public interface DiskBackedBags {
}
