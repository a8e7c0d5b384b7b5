package io.presync.tracking;

/**
 * Ranks coarse granules for {@link TrackingMap#nextBatch}: lower ranks are handed out first, ties in
 * ascending address order. The transfer ranks cold regions low so that hot ones, which are likely to
 * be written again, are copied last. Ranks must be in {@code [0, Integer.MAX_VALUE]}; a rank is
 * read once per pass (when the tracker sorts the dirty granules), not per range.
 */
@FunctionalInterface
public interface RegionOrder
{
    /** Address order: every granule has the same rank. */
    RegionOrder LBA = granuleIndex -> 0;

    /** The rank of the granule {@code [granuleIndex * granuleBytes, (granuleIndex + 1) * granuleBytes)}. */
    int rank(long granuleIndex);
}
