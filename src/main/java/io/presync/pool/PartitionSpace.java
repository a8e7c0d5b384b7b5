package io.presync.pool;

import java.util.List;

/**
 * Addressing inside one partition: its <em>data space</em> is the concatenation of its segments'
 * data areas in segment order, {@code [0, dataBytes)}; this class turns a data-space offset into
 * the device offset of the byte and of the checksum record of its 4 KiB block.
 *
 * <pre>
 *  segment i on the device (units [start, start + length)):
 *  +------------------+------------------------------------------------------------+
 *  | checksum pages   | data blocks 0 .. n-1 (4 KiB each)                          |
 *  | c * 4 KiB        | data space [dataStart[i], dataStart[i] + n * 4096)          |
 *  +------------------+------------------------------------------------------------+
 *  record of data block b of segment i (CRC32C u32 + hash u64, 341 per page):
 *      start * unit + 4096 * (b / 341) + 12 * (b % 341)
 * </pre>
 *
 * Lookups are a binary search over three primitive arrays and allocate nothing, so the data path can
 * call them per request. Immutable: an extension makes a new instance.
 */
final class PartitionSpace
{
    static final int BLOCK_BYTES = 4096;
    /** Bytes of one block's checksum record (CRC32C + BlockHash, {@link ChecksumAreaDescriptor}). */
    static final int RECORD_BYTES = ChecksumAreaDescriptor.RECORD_BYTES;

    private final long[] dataStart;      // data-space offset where segment i's data begins (prefix sums)
    private final long[] dataDevice;     // device offset of segment i's first data byte
    private final long[] checksumDevice; // device offset of segment i's first CRC slot
    private final long dataBytes;

    PartitionSpace(final List<Segment> segments, final long unitBytes)
    {
        final int n = segments.size();
        dataStart = new long[n];
        dataDevice = new long[n];
        checksumDevice = new long[n];
        long offset = 0;
        for (int i = 0; i < n; i++)
        {
            final Segment s = segments.get(i);
            dataStart[i] = offset;
            checksumDevice[i] = s.startUnit() * unitBytes;
            dataDevice[i] = checksumDevice[i] + (long)s.checksumPages() * BLOCK_BYTES;
            offset += s.dataBytes(unitBytes);
        }
        dataBytes = offset;
    }

    /** Bytes of data the partition can hold. */
    long dataBytes()
    {
        return dataBytes;
    }

    int segmentCount()
    {
        return dataStart.length;
    }

    /** Index of the segment holding data-space offset {@code dataOffset} (which must be in range). */
    int segmentOf(final long dataOffset)
    {
        if (dataOffset < 0 || dataOffset >= dataBytes)
        {
            throw new IndexOutOfBoundsException("data offset " + dataOffset + " outside [0, " + dataBytes + ")");
        }
        int low = 0;
        int high = dataStart.length - 1;
        while (low < high)
        {
            final int mid = (low + high + 1) >>> 1;
            if (dataStart[mid] <= dataOffset)
            {
                low = mid;
            }
            else
            {
                high = mid - 1;
            }
        }
        return low;
    }

    /** Device offset of the data byte at {@code dataOffset}. */
    long deviceOffset(final long dataOffset)
    {
        final int s = segmentOf(dataOffset);
        return dataDevice[s] + (dataOffset - dataStart[s]);
    }

    /** Bytes from {@code dataOffset} to the end of its segment's data area: the longest single device run. */
    long contiguousBytes(final long dataOffset)
    {
        final int s = segmentOf(dataOffset);
        final long end = s + 1 < dataStart.length ? dataStart[s + 1] : dataBytes;
        return end - dataOffset;
    }

    /** Device offset just past the checksum pages of the segment holding {@code dataOffset}. */
    long checksumAreaEnd(final long dataOffset)
    {
        return dataDevice[segmentOf(dataOffset)];
    }

    /** Device offset of the checksum record of the 4 KiB block holding {@code dataOffset}. */
    long checksumOffset(final long dataOffset)
    {
        final int s = segmentOf(dataOffset);
        return checksumDevice[s] + ChecksumAreaDescriptor.recordOffset((dataOffset - dataStart[s]) / BLOCK_BYTES);
    }
}
