package io.presync.pool;

import io.presync.ByteSizes;
import io.presync.RefusedException;
import io.presync.btree.ExtentCursor;
import io.presync.btree.ExtentMap;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * The data path of one pool partition: logical 4 KiB blocks of the master mapped into the
 * partition's data space, a CRC32C per block, and commits that make both durable.
 *
 * <ul>
 *   <li>{@link #write} maps logical ranges written for the first time to the next free data-space
 *       bytes (sequential input lands contiguously), overwrites mapped ranges in place, and stores
 *       the blocks' CRCs. A write that does not fit the partition's free data space is refused before
 *       anything is written.</li>
 *   <li>{@link #read} returns mapped data (verifying each block's CRC) and zeros for unmapped
 *       ranges; {@link #checksums} gives the stored CRCs (and the CRC of a zero block where unmapped),
 *       which is what verification compares against the master.</li>
 *   <li>{@link #commit} flushes data and CRCs, writes the extent map into the map area the last
 *       commit did not use, then commits the pool metadata. After a crash every byte of the last
 *       commit reads back with a matching CRC; writes after it may or may not be visible.</li>
 * </ul>
 *
 * The extent map is an {@link ExtentMap} (the B-tree of #3 on a memory page store) whose payload is
 * {@code dataOffset - logicalStart}: constant along a contiguous mapping, so the map merges
 * neighbours written in sequence and splits correctly. Offsets and lengths are multiples of 4 KiB.
 * Not thread-safe; I/O is synchronous through the pool's device for now (the io_uring Ring comes
 * with the copy pipeline).
 */
public final class Partition implements AutoCloseable
{
    static final int BLOCK = PartitionSpace.BLOCK_BYTES;
    /** Size of each of the two map areas a new partition starts with (2,730 extents each). */
    static final long INITIAL_MAP_AREA_BYTES = 64L << 10;

    private final Pool pool;
    private final PoolIo io;
    private final String name;
    private final long logicalSizeBytes;
    private final long unitBytes;
    private final ExtentMap map;
    private final long[] extent = new long[3];
    private final CRC32C crc = new CRC32C();
    private final int zeroBlockCrc;
    private int[] crcScratch = new int[256];
    private PartitionSpace space;
    private ChecksumArea checksums;
    long dataHighWater;
    long usedBytes;
    private boolean dirty;
    private boolean closed;

    Partition(final Pool pool, final PoolIo io, final PartitionEntry entry, final long unitBytes, final ExtentMap map)
        throws IOException
    {
        this.pool = pool;
        this.io = io;
        this.name = entry.name;
        this.logicalSizeBytes = entry.logicalSizeBytes;
        this.unitBytes = unitBytes;
        this.map = map;
        this.dataHighWater = entry.dataHighWater;
        this.usedBytes = entry.usedBytes;
        refreshSpace(entry);
        crc.update(new byte[BLOCK]);
        zeroBlockCrc = (int)crc.getValue();
    }

    /** Re-reads the segments after an extension (cached CRC pages are written first: the space changes). */
    void refreshSpace(final PartitionEntry entry) throws IOException
    {
        if (checksums != null)
        {
            checksums.flush();
        }
        space = new PartitionSpace(entry.segments, unitBytes);
        checksums = new ChecksumArea(io, space);
    }

    public String name()
    {
        return name;
    }

    public long logicalSizeBytes()
    {
        return logicalSizeBytes;
    }

    /** Logical bytes that hold data (mapped). */
    public long usedBytes()
    {
        return usedBytes;
    }

    /** Data-space bytes the partition has (segments minus checksum pages). */
    public long dataBytes()
    {
        return space.dataBytes();
    }

    /** Data-space bytes not yet handed out: what further first-time writes (and map growth) can use. */
    public long freeDataBytes()
    {
        return space.dataBytes() - dataHighWater;
    }

    /** Extents in the logical-to-data-space map. */
    public long extentCount()
    {
        return map.extentCount();
    }

    /**
     * Writes {@code data} (its whole length, a multiple of 4 KiB) at {@code logicalOffset}.
     *
     * @throws RefusedException when the range leaves the master's size or the partition has too little
     *         free data space for the unmapped part; nothing is written then.
     */
    public void write(final long logicalOffset, final MemorySegment data) throws IOException
    {
        final long length = data.byteSize();
        checkRange(logicalOffset, length);
        final long end = logicalOffset + length;
        final long unmapped = length - map.coveredBytes(logicalOffset, end);
        if (unmapped > freeDataBytes())
        {
            throw new RefusedException("partition '" + name + "' is full: writing " + ByteSizes.format(unmapped) + " of new data needs " +
                "more than its " + ByteSizes.format(freeDataBytes()) + " free; extend it (presync pool extend)");
        }
        long position = logicalOffset;
        while (position < end)
        {
            final long pieceEnd;
            final long dataOffset;
            final boolean found = map.firstEndingAfter(position, extent);
            if (found && extent[0] <= position)
            {
                pieceEnd = Math.min(end, extent[1]);
                dataOffset = extent[2] + position;
            }
            else
            {
                pieceEnd = found ? Math.min(end, extent[0]) : end;
                dataOffset = dataHighWater;
                dataHighWater += pieceEnd - position;
                usedBytes += pieceEnd - position;
                map.insert(position, pieceEnd, dataOffset - position);
            }
            writeData(dataOffset, data.asSlice(position - logicalOffset, pieceEnd - position));
            position = pieceEnd;
        }
        dirty = true;
    }

    /** Reads {@code out.byteSize()} bytes at {@code logicalOffset}: data where mapped (CRC-checked), zeros elsewhere. */
    public void read(final long logicalOffset, final MemorySegment out) throws IOException
    {
        final long length = out.byteSize();
        checkRange(logicalOffset, length);
        final long end = logicalOffset + length;
        long position = logicalOffset;
        while (position < end)
        {
            final boolean found = map.firstEndingAfter(position, extent);
            if (found && extent[0] <= position)
            {
                final long pieceEnd = Math.min(end, extent[1]);
                readData(extent[2] + position, out.asSlice(position - logicalOffset, pieceEnd - position), position);
                position = pieceEnd;
            }
            else
            {
                final long pieceEnd = found ? Math.min(end, extent[0]) : end;
                out.asSlice(position - logicalOffset, pieceEnd - position).fill((byte)0);
                position = pieceEnd;
            }
        }
    }

    /**
     * The CRC32C of each 4 KiB block of {@code [logicalOffset, logicalOffset + lengthBytes)} into
     * {@code out[0..]}: the stored CRC where mapped, the CRC of a zero block where not.
     */
    public void checksums(final long logicalOffset, final long lengthBytes, final int[] out) throws IOException
    {
        checkRange(logicalOffset, lengthBytes);
        final long end = logicalOffset + lengthBytes;
        long position = logicalOffset;
        while (position < end)
        {
            final int index = (int)((position - logicalOffset) / BLOCK);
            final boolean found = map.firstEndingAfter(position, extent);
            if (found && extent[0] <= position)
            {
                final long pieceEnd = Math.min(end, extent[1]);
                checksums.load(extent[2] + position, out, index, (int)((pieceEnd - position) / BLOCK));
                position = pieceEnd;
            }
            else
            {
                final long pieceEnd = found ? Math.min(end, extent[0]) : end;
                java.util.Arrays.fill(out, index, index + (int)((pieceEnd - position) / BLOCK), zeroBlockCrc);
                position = pieceEnd;
            }
        }
    }

    /** Logical bytes of {@code [startBytes, endBytes)} that are mapped (hold replicated data). */
    public long mappedBytes(final long startBytes, final long endBytes)
    {
        return map.coveredBytes(startBytes, endBytes);
    }

    /**
     * Reads the mapped blocks of {@code [logicalOffset, logicalOffset + out.byteSize())} into {@code out}
     * <em>without</em> checking their CRCs (verification compares them itself, block by block) and sets
     * {@code mapped[i]} for each 4 KiB block i; unmapped blocks of {@code out} are left as they were.
     * Comparisons with the master need the bytes, not only {@link #checksums}: CRC32C cannot tell apart
     * two versions of a block that holds a structure with its own CRC32C (an ext4 superblock).
     */
    public void readUnchecked(final long logicalOffset, final MemorySegment out, final boolean[] mapped) throws IOException
    {
        final long length = out.byteSize();
        checkRange(logicalOffset, length);
        final long end = logicalOffset + length;
        long position = logicalOffset;
        while (position < end)
        {
            final int index = (int)((position - logicalOffset) / BLOCK);
            final boolean found = map.firstEndingAfter(position, extent);
            if (found && extent[0] <= position)
            {
                final long pieceEnd = Math.min(end, extent[1]);
                final MemorySegment piece = out.asSlice(position - logicalOffset, pieceEnd - position);
                long offset = extent[2] + position;
                long done = 0;
                while (done < piece.byteSize())
                {
                    final long n = Math.min(piece.byteSize() - done, space.contiguousBytes(offset));
                    io.read(space.deviceOffset(offset), piece.asSlice(done, n));
                    done += n;
                    offset += n;
                }
                java.util.Arrays.fill(mapped, index, index + (int)((pieceEnd - position) / BLOCK), true);
                position = pieceEnd;
            }
            else
            {
                final long pieceEnd = found ? Math.min(end, extent[0]) : end;
                java.util.Arrays.fill(mapped, index, index + (int)((pieceEnd - position) / BLOCK), false);
                position = pieceEnd;
            }
        }
    }

    /** Device offset of the data of the 4 KiB block holding {@code logicalOffset}, or -1 when it is unmapped. */
    public long deviceOffsetOf(final long logicalOffset)
    {
        checkRange(logicalOffset / BLOCK * BLOCK, BLOCK);
        final boolean found = map.firstEndingAfter(logicalOffset, extent);
        if (found && extent[0] <= logicalOffset)
        {
            return space.deviceOffset(extent[2] + logicalOffset);
        }
        return -1;
    }

    /** Ordered cursor over the mapped logical extents (payload: data-space offset minus logical start). */
    public ExtentCursor mappedExtents()
    {
        return map.cursor(0);
    }

    /** Makes every write so far durable with its CRCs and the extent map (one pool metadata commit). */
    public void commit() throws IOException
    {
        if (dirty)
        {
            pool.commitPartition(this);
            dirty = false;
        }
    }

    /** Closes without committing: writes since the last commit may be lost. */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            map.close();
            pool.partitionClosed(this);
        }
    }

    /**
     * Serializes the extent map into the map area the committed entry does not use, growing it from the
     * data space when too small, and records its location in {@code entry}. Called by the pool's commit.
     */
    void writeMap(final PartitionEntry entry) throws IOException
    {
        // Cached CRC pages first: the pool commit's first flush makes them durable with the data.
        checksums.flush();
        final long count = map.extentCount();
        final long bytes = roundUpToBlock(count * PartitionEntryDescriptor.MAP_RECORD_BYTES);
        final int area = 1 - entry.mapArea;
        if (entry.mapAreaBytes[area] < bytes)
        {
            final long size = Math.max(INITIAL_MAP_AREA_BYTES, roundUpToBlock(2 * bytes));
            if (size > freeDataBytes())
            {
                throw new RefusedException("partition '" + name + "' has no room left for its extent map (" + ByteSizes.format(size) +
                    "); extend it (presync pool extend) and commit again");
            }
            entry.mapAreaOffset[area] = dataHighWater;
            entry.mapAreaBytes[area] = size;
            dataHighWater += size;
        }
        final ByteBuffer records = ByteBuffer.allocate((int)Math.max(bytes, BLOCK)).order(ByteOrder.LITTLE_ENDIAN);
        final ExtentCursor cursor = map.cursor(0);
        while (cursor.next())
        {
            records.putLong(cursor.start()).putLong(cursor.end()).putLong(cursor.start() + cursor.payload());
        }
        final CRC32C mapCrc = new CRC32C();
        mapCrc.update(records.duplicate().flip());
        writeDataRaw(entry.mapAreaOffset[area], records.clear().limit((int)Math.max(bytes, BLOCK)));
        entry.mapArea = area;
        entry.mapExtentCount = count;
        entry.mapCrc = (int)mapCrc.getValue();
        entry.dataHighWater = dataHighWater;
        entry.usedBytes = usedBytes;
    }

    /** Loads the committed extent map of {@code entry} into {@code map}, checking its CRC. */
    static void readMap(final PoolIo io, final PartitionEntry entry, final long unitBytes, final ExtentMap map) throws IOException
    {
        if (entry.mapExtentCount == 0)
        {
            return;
        }
        final PartitionSpace space = new PartitionSpace(entry.segments, unitBytes);
        final long bytes = roundUpToBlock(entry.mapExtentCount * PartitionEntryDescriptor.MAP_RECORD_BYTES);
        final ByteBuffer records = ByteBuffer.allocate((int)bytes).order(ByteOrder.LITTLE_ENDIAN);
        readDataRaw(io, space, entry.mapAreaOffset[entry.mapArea], records);
        final CRC32C crc = new CRC32C();
        crc.update(records.duplicate().position(0).limit((int)(entry.mapExtentCount * PartitionEntryDescriptor.MAP_RECORD_BYTES)));
        if ((int)crc.getValue() != entry.mapCrc)
        {
            throw new IOException("the extent map of partition '" + entry.name + "' on " + io.path() + " fails its CRC32C");
        }
        long previousEnd = 0;
        for (long i = 0; i < entry.mapExtentCount; i++)
        {
            final int at = (int)(i * PartitionEntryDescriptor.MAP_RECORD_BYTES);
            final long start = records.getLong(at);
            final long end = records.getLong(at + 8);
            final long dataOffset = records.getLong(at + 16);
            if (start < previousEnd || end <= start || end > entry.logicalSizeBytes || dataOffset < 0 ||
                dataOffset + (end - start) > entry.dataHighWater)
            {
                throw new IOException("the extent map of partition '" + entry.name + "' on " + io.path() +
                    " has a bad extent [" + start + ", " + end + ") at data offset " + dataOffset);
            }
            map.insert(start, end, dataOffset - start);
            previousEnd = end;
        }
    }

    private void writeData(final long dataOffset, final MemorySegment data) throws IOException
    {
        final int blocks = (int)(data.byteSize() / BLOCK);
        if (crcScratch.length < blocks)
        {
            crcScratch = new int[Math.max(blocks, crcScratch.length * 2)];
        }
        final ByteBuffer buffer = data.asByteBuffer();
        for (int b = 0; b < blocks; b++)
        {
            crc.reset();
            crc.update(buffer.limit((b + 1) * BLOCK).position(b * BLOCK));
            crcScratch[b] = (int)crc.getValue();
        }
        long offset = dataOffset;
        long done = 0;
        while (done < data.byteSize())
        {
            final long n = Math.min(data.byteSize() - done, space.contiguousBytes(offset));
            io.write(space.deviceOffset(offset), data.asSlice(done, n));
            done += n;
            offset += n;
        }
        checksums.store(dataOffset, crcScratch, 0, blocks);
    }

    private void readData(final long dataOffset, final MemorySegment out, final long logicalOffset) throws IOException
    {
        final int blocks = (int)(out.byteSize() / BLOCK);
        if (crcScratch.length < blocks)
        {
            crcScratch = new int[Math.max(blocks, crcScratch.length * 2)];
        }
        long offset = dataOffset;
        long done = 0;
        while (done < out.byteSize())
        {
            final long n = Math.min(out.byteSize() - done, space.contiguousBytes(offset));
            io.read(space.deviceOffset(offset), out.asSlice(done, n));
            done += n;
            offset += n;
        }
        final ByteBuffer buffer = out.asByteBuffer();
        checksums.load(dataOffset, crcScratch, 0, blocks);
        for (int b = 0; b < blocks; b++)
        {
            crc.reset();
            crc.update(buffer.limit((b + 1) * BLOCK).position(b * BLOCK));
            if ((int)crc.getValue() != crcScratch[b])
            {
                final long block = dataOffset + (long)b * BLOCK;
                throw new IOException("checksum mismatch in partition '" + name + "' of " + io.path() + " at logical offset " +
                    (logicalOffset + (long)b * BLOCK) + " (device offset " + space.deviceOffset(block) + ")");
            }
        }
    }

    /** Writes a buffer at a data-space offset, split where the data space crosses segments. */
    private void writeDataRaw(final long dataOffset, final ByteBuffer buffer) throws IOException
    {
        long offset = dataOffset;
        final int end = buffer.limit();
        int position = buffer.position();
        while (position < end)
        {
            final int n = (int)Math.min(end - position, space.contiguousBytes(offset));
            io.write(space.deviceOffset(offset), buffer.limit(position + n).position(position));
            position += n;
            offset += n;
        }
        buffer.limit(end);
    }

    private static void readDataRaw(final PoolIo io, final PartitionSpace space, final long dataOffset, final ByteBuffer buffer)
        throws IOException
    {
        long offset = dataOffset;
        final int end = buffer.limit();
        int position = buffer.position();
        while (position < end)
        {
            final int n = (int)Math.min(end - position, space.contiguousBytes(offset));
            io.read(space.deviceOffset(offset), buffer.limit(position + n).position(position));
            position += n;
            offset += n;
        }
        buffer.limit(end).position(0);
    }

    private void checkRange(final long logicalOffset, final long length)
    {
        if (closed)
        {
            throw new IllegalStateException("partition '" + name + "' is closed");
        }
        if (logicalOffset < 0 || length < 0 || logicalOffset % BLOCK != 0 || length % BLOCK != 0 ||
            logicalOffset + length > logicalSizeBytes)
        {
            throw new IllegalArgumentException("range of " + length + " bytes at logical offset " + logicalOffset +
                " must be 4 KiB aligned and inside partition '" + name + "' (" + logicalSizeBytes + " bytes)");
        }
    }

    private static long roundUpToBlock(final long bytes)
    {
        return (bytes + BLOCK - 1) / BLOCK * BLOCK;
    }

}
