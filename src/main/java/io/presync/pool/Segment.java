package io.presync.pool;

/**
 * A run of whole allocation units owned by a partition: {@code [startUnit, startUnit + lengthUnits)}.
 * Its first {@code checksumPages} 4 KiB pages hold the CRC32C of each 4 KiB data block of the rest
 * (see {@link PartitionEntryDescriptor}).
 */
public record Segment(long startUnit, long lengthUnits, int checksumPages)
{
    public Segment
    {
        if (startUnit < 0 || lengthUnits <= 0 || checksumPages < 0)
        {
            throw new IllegalArgumentException("bad segment: start " + startUnit + ", length " + lengthUnits +
                ", checksum pages " + checksumPages);
        }
    }

    /** A segment of units of {@code unitBytes} with the checksum area its size needs. */
    static Segment of(final long startUnit, final long lengthUnits, final long unitBytes)
    {
        return new Segment(startUnit, lengthUnits, PartitionEntryDescriptor.checksumPages(lengthUnits * unitBytes));
    }

    /** First unit after the segment. */
    public long endUnit()
    {
        return startUnit + lengthUnits;
    }

    /** Bytes of the segment available for data (its length minus the checksum pages). */
    public long dataBytes(final long unitBytes)
    {
        return lengthUnits * unitBytes - (long)checksumPages * MetadataPageDescriptor.PAGE_BYTES;
    }
}
