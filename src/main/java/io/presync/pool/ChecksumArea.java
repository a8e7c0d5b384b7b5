package io.presync.pool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The CRC32C values of a partition's 4 KiB data blocks, kept in the checksum pages at the start of
 * each segment (see {@link PartitionSpace}). Stores and loads runs of consecutive blocks; a run that
 * crosses a segment boundary is split, and checksum pages are read, patched and written whole because
 * the device takes only sector-aligned I/O.
 *
 * <p>Crash safety is the caller's: the data path writes data and its CRCs, flushes, and only then
 * commits metadata that maps the data; a CRC slot of an unmapped block means nothing.
 */
final class ChecksumArea
{
    /** Checksum pages handled per device I/O: CRCs of 64 Ki blocks (256 MiB of data). */
    private static final int MAX_PAGES_PER_IO = 64;
    private static final int CRCS_PER_PAGE = PartitionSpace.BLOCK_BYTES / PartitionSpace.CRC_BYTES;

    private final PoolIo io;
    private final PartitionSpace space;
    private final ByteBuffer scratch = ByteBuffer.allocate(MAX_PAGES_PER_IO * PartitionSpace.BLOCK_BYTES)
        .order(ByteOrder.LITTLE_ENDIAN);

    ChecksumArea(final PoolIo io, final PartitionSpace space)
    {
        this.io = io;
        this.space = space;
    }

    /** Stores {@code crcs[from, from + count)} for the blocks starting at block-aligned {@code dataOffset}. */
    void store(final long dataOffset, final int[] crcs, final int from, final int count) throws IOException
    {
        checkRange(dataOffset, count);
        long offset = dataOffset;
        int index = from;
        int left = count;
        while (left > 0)
        {
            final int n = runBlocks(offset, left);
            final long slot = space.checksumOffset(offset);
            final long pageStart = slot & ~(PartitionSpace.BLOCK_BYTES - 1L);
            final int within = (int)(slot - pageStart);
            final int length = roundUpToPage(within + n * PartitionSpace.CRC_BYTES);
            scratch.clear().limit(length);
            io.read(pageStart, scratch);
            for (int i = 0; i < n; i++)
            {
                scratch.putInt(within + i * PartitionSpace.CRC_BYTES, crcs[index + i]);
            }
            io.write(pageStart, scratch.position(0).limit(length));
            offset += (long)n * PartitionSpace.BLOCK_BYTES;
            index += n;
            left -= n;
        }
    }

    /** Loads the CRCs of {@code count} blocks from block-aligned {@code dataOffset} into {@code out[from...]}. */
    void load(final long dataOffset, final int[] out, final int from, final int count) throws IOException
    {
        checkRange(dataOffset, count);
        long offset = dataOffset;
        int index = from;
        int left = count;
        while (left > 0)
        {
            final int n = runBlocks(offset, left);
            final long slot = space.checksumOffset(offset);
            final long pageStart = slot & ~(PartitionSpace.BLOCK_BYTES - 1L);
            final int within = (int)(slot - pageStart);
            final int length = roundUpToPage(within + n * PartitionSpace.CRC_BYTES);
            scratch.clear().limit(length);
            io.read(pageStart, scratch);
            for (int i = 0; i < n; i++)
            {
                out[index + i] = scratch.getInt(within + i * PartitionSpace.CRC_BYTES);
            }
            offset += (long)n * PartitionSpace.BLOCK_BYTES;
            index += n;
            left -= n;
        }
    }

    /** Blocks from {@code offset} that stay in one segment and fit one scratch I/O, at most {@code left}. */
    private int runBlocks(final long offset, final int left)
    {
        final long inSegment = space.contiguousBytes(offset) / PartitionSpace.BLOCK_BYTES;
        final long slot = space.checksumOffset(offset);
        final int firstInPage = (int)((slot % PartitionSpace.BLOCK_BYTES) / PartitionSpace.CRC_BYTES);
        final int fitsScratch = MAX_PAGES_PER_IO * CRCS_PER_PAGE - firstInPage;
        return (int)Math.min(Math.min(inSegment, left), fitsScratch);
    }

    private void checkRange(final long dataOffset, final int count)
    {
        if (dataOffset % PartitionSpace.BLOCK_BYTES != 0 || count < 0 ||
            dataOffset + (long)count * PartitionSpace.BLOCK_BYTES > space.dataBytes())
        {
            throw new IllegalArgumentException("checksum range of " + count + " blocks at data offset " + dataOffset +
                " is unaligned or outside the partition's " + space.dataBytes() + " data bytes");
        }
    }

    private static int roundUpToPage(final int bytes)
    {
        return (bytes + PartitionSpace.BLOCK_BYTES - 1) & ~(PartitionSpace.BLOCK_BYTES - 1);
    }
}
