package io.presync.pool;

import java.util.List;

/**
 * A read-only view of one partition for listings and callers.
 *
 * @param reservedBytes   bytes of pool units the partition owns (segments, checksum pages included)
 * @param dataBytes       of those, bytes available for data (reserved minus checksum pages)
 * @param usedBytes       bytes holding replicated data
 * @param mapBytes        data-space bytes taken by metadata: extent-map B-tree pages and job-state pages
 * @param extentCount     extents in the committed extent map
 */
public record PartitionInfo(
    String name,
    MasterIdentity master,
    long logicalSizeBytes,
    long reservedBytes,
    long dataBytes,
    long usedBytes,
    long mapBytes,
    long extentCount,
    int extensionCount,
    PartitionState state,
    List<Segment> segments)
{
    /** Bytes of metadata the partition costs on the device: checksum pages, map and job-state pages and its entry page. */
    public long metadataBytes()
    {
        return reservedBytes - dataBytes + mapBytes + MetadataPageDescriptor.PAGE_BYTES;
    }

    /**
     * Space the pool spends beyond the data held, as a percentage of the data held: reserved minus
     * used over used; 0 when nothing is used yet and nothing reserved, infinite when reserved only.
     */
    public double overheadPercent()
    {
        if (usedBytes == 0)
        {
            return reservedBytes == 0 ? 0.0 : Double.POSITIVE_INFINITY;
        }
        return 100.0 * (reservedBytes - usedBytes) / usedBytes;
    }

    static PartitionInfo of(final PartitionEntry e, final long unitBytes)
    {
        long dataBytes = 0;
        for (final Segment s : e.segments)
        {
            dataBytes += s.dataBytes(unitBytes);
        }
        return new PartitionInfo(e.name, e.master, e.logicalSizeBytes, e.reservedUnits() * unitBytes, dataBytes,
            e.usedBytes, (e.mapPages + e.jobStatePages) * MetadataPageDescriptor.PAGE_BYTES, e.mapExtentCount, e.extensionCount, e.state, List.copyOf(e.segments));
    }
}
