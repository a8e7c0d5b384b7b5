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
    private long[] hashScratch = new long[256];
    private final long zeroBlockHash;
    /** The io_uring data path, or null while synchronous (no ring yet, io_uring unavailable, or a test PoolIo). */
    private DataRing ring;
    private boolean ringTried;
    private MemorySegment[] registered = new MemorySegment[0];
    private ByteBuffer[] registeredViews = new ByteBuffer[0];
    /** Set by {@link #submitWrite} for the duration of one write: the ring request and registered buffer. */
    private int asyncRequest = -1;
    private int asyncBufferIndex = -1;
    private WriteCompletionHandler handler;
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
        zeroBlockHash = BlockHash.hash(MemorySegment.ofArray(new byte[BLOCK]), 0);
    }

    /** Re-reads the segments after an extension (cached checksum pages keep their device offsets). */
    void refreshSpace(final PartitionEntry entry) throws IOException
    {
        space = new PartitionSpace(entry.segments, unitBytes);
        if (checksums == null)
        {
            checksums = new ChecksumArea(io, space);
        }
        else
        {
            checksums.space(space);
        }
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
        final DataRing r = ring();
        if (r == null || asyncRequest >= 0)
        {
            writeMapped(logicalOffset, data);
            return;
        }
        asyncRequest = r.begin(DataRing.NO_USER_DATA);
        asyncBufferIndex = registeredIndexOf(data);
        try
        {
            writeMapped(logicalOffset, data);
        }
        finally
        {
            r.end(asyncRequest);
            asyncRequest = -1;
            asyncBufferIndex = -1;
        }
        r.drain();
    }

    /**
     * Starts writing {@code data} (its whole length, a multiple of 4 KiB) at {@code logicalOffset} through
     * the ring and returns without waiting: the checksums are recorded now, the data is on the device when
     * the {@link #completionHandler} hears {@code userData}. {@code data} must stay unchanged until then.
     * {@code bufferIndex} is the index of the buffer (registered with {@link #registerBuffers}) that holds
     * {@code data}, or -1. Writes to overlapping ranges reach the device in the order submitted. Small
     * writes are queued and go to the kernel in batches: at the latest with the next {@link #poll},
     * {@link #awaitCompletion}, {@link #drain} or {@link #commit}, so call one of them regularly. Without
     * io_uring the write is synchronous and the handler is told before this returns.
     *
     * @throws RefusedException as {@link #write}; nothing is submitted then.
     */
    public void submitWrite(final long logicalOffset, final MemorySegment data, final int bufferIndex, final long userData)
        throws IOException
    {
        final DataRing r = ring();
        if (r == null)
        {
            writeMapped(logicalOffset, data);
            if (handler != null)
            {
                handler.onWriteCompleted(userData);
            }
            return;
        }
        asyncRequest = r.begin(userData);
        asyncBufferIndex = bufferIndex >= 0 ? bufferIndex : registeredIndexOf(data);
        boolean submitted = false;
        try
        {
            writeMapped(logicalOffset, data);
            submitted = true;
        }
        finally
        {
            if (!submitted)
            {
                // The caller hears of a refusal or failure by the exception, never as a completion.
                r.forget(asyncRequest);
            }
            r.end(asyncRequest);
            asyncRequest = -1;
            asyncBufferIndex = -1;
        }
    }

    /** Who hears of completed {@link #submitWrite}s (null: nobody). */
    public void completionHandler(final WriteCompletionHandler handler)
    {
        this.handler = handler;
        if (ring != null)
        {
            ring.handler(handler);
        }
    }

    /**
     * Registers buffers with the data ring (io_uring fixed buffers: the kernel pins them once, not per
     * write); index i of {@code buffers} is the {@code bufferIndex} of {@link #submitWrite}. Buffers must
     * be page aligned native memory and stay alive while registered; an empty array unregisters them.
     * Replaces earlier registrations (after waiting for the writes in flight).
     */
    public void registerBuffers(final MemorySegment[] buffers) throws IOException
    {
        registered = buffers.clone();
        registeredViews = new ByteBuffer[buffers.length];
        for (int i = 0; i < buffers.length; i++)
        {
            registeredViews[i] = buffers[i].asByteBuffer();
        }
        final DataRing r = ring();
        if (r != null)
        {
            r.registerBuffers(registered);
        }
    }

    /** Reaps completed writes without waiting (the handler hears them); returns the operations reaped. */
    public int poll() throws IOException
    {
        return ring == null ? 0 : ring.poll();
    }

    /** Waits until at least one write in flight completes (returns at once when none is). */
    public void awaitCompletion() throws IOException
    {
        if (ring != null)
        {
            ring.awaitOne();
        }
    }

    /** Waits for every write in flight; throws the first write failure. */
    public void drain() throws IOException
    {
        if (ring != null)
        {
            ring.drain();
        }
    }

    /** Device operations in flight (0 when synchronous). */
    public int writesInFlight()
    {
        return ring == null ? 0 : ring.opsInFlight();
    }

    private void writeMapped(final long logicalOffset, final MemorySegment data) throws IOException
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
            writeData(dataOffset, data, position - logicalOffset, pieceEnd - position);
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
        checksums(logicalOffset, lengthBytes, out, null);
    }

    /**
     * The checksum record of each 4 KiB block of {@code [logicalOffset, logicalOffset + lengthBytes)}:
     * CRC32C into {@code crcs[0..]} and, when {@code hashes} is not null, the {@link BlockHash} into
     * {@code hashes[0..]}; the stored values where mapped, those of a zero block where not. Comparing
     * both with the master's data ({@link Verifier#matchesStored}) proves a block replicated without
     * reading the slave.
     */
    public void checksums(final long logicalOffset, final long lengthBytes, final int[] crcs, final long[] hashes)
        throws IOException
    {
        final int[] out = crcs;
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
                checksums.load(extent[2] + position, out, hashes, index, (int)((pieceEnd - position) / BLOCK));
                position = pieceEnd;
            }
            else
            {
                final long pieceEnd = found ? Math.min(end, extent[0]) : end;
                java.util.Arrays.fill(out, index, index + (int)((pieceEnd - position) / BLOCK), zeroBlockCrc);
                if (hashes != null)
                {
                    java.util.Arrays.fill(hashes, index, index + (int)((pieceEnd - position) / BLOCK), zeroBlockHash);
                }
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
        drain();
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
            if (ring != null)
            {
                ring.close();
                ring = null;
            }
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
        // Writes in flight, then cached checksum pages: the pool commit's first flush makes them durable.
        drain();
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

    /**
     * Writes {@code length} bytes of {@code data} from {@code from} at data-space offset {@code dataOffset}
     * and records their checksums: through the ring as part of the current request when there is one
     * (asynchronous), else synchronously. Allocates nothing for registered buffers.
     */
    private void writeData(final long dataOffset, final MemorySegment data, final long from, final long length) throws IOException
    {
        final int blocks = (int)(length / BLOCK);
        if (crcScratch.length < blocks)
        {
            crcScratch = new int[Math.max(blocks, crcScratch.length * 2)];
            hashScratch = new long[crcScratch.length];
        }
        final int index = asyncBufferIndex;
        final ByteBuffer view;
        final int viewBase;
        if (index >= 0)
        {
            view = registeredViews[index];
            viewBase = (int)(data.address() - registered[index].address() + from);
        }
        else
        {
            view = data.asByteBuffer();
            viewBase = (int)from;
        }
        for (int b = 0; b < blocks; b++)
        {
            final int at = viewBase + b * BLOCK;
            crc.reset();
            crc.update(view.limit(at + BLOCK).position(at));
            crcScratch[b] = (int)crc.getValue();
            hashScratch[b] = BlockHash.hash(data, from + (long)b * BLOCK);
        }
        view.clear();
        // A piece reaching the data high water has nothing live after it: its checksum pages need no read.
        checksums.store(dataOffset, crcScratch, hashScratch, 0, blocks, dataOffset + length >= dataHighWater ? dataOffset : Long.MAX_VALUE);
        final boolean async = asyncRequest >= 0 && direct(data);
        long offset = dataOffset;
        long done = 0;
        while (done < length)
        {
            final long n = Math.min(length - done, space.contiguousBytes(offset));
            if (async)
            {
                ring.add(asyncRequest, true, space.deviceOffset(offset), data, from + done, (int)n, index);
            }
            else
            {
                if (ring != null)
                {
                    ring.drain();
                }
                io.write(space.deviceOffset(offset), data.asSlice(from + done, n));
            }
            done += n;
            offset += n;
        }
    }

    private void readData(final long dataOffset, final MemorySegment out, final long logicalOffset) throws IOException
    {
        final int blocks = (int)(out.byteSize() / BLOCK);
        if (crcScratch.length < blocks)
        {
            crcScratch = new int[Math.max(blocks, crcScratch.length * 2)];
            hashScratch = new long[crcScratch.length];
        }
        final DataRing r = direct(out) ? ring() : null;
        final int request = r != null ? r.begin(DataRing.NO_USER_DATA) : -1;
        long offset = dataOffset;
        long done = 0;
        try
        {
            while (done < out.byteSize())
            {
                final long n = Math.min(out.byteSize() - done, space.contiguousBytes(offset));
                if (r != null)
                {
                    r.add(request, false, space.deviceOffset(offset), out, done, (int)n, -1);
                }
                else
                {
                    drain();
                    io.read(space.deviceOffset(offset), out.asSlice(done, n));
                }
                done += n;
                offset += n;
            }
        }
        finally
        {
            if (r != null)
            {
                r.end(request);
            }
        }
        if (r != null)
        {
            r.drain();
        }
        checkBlocks(dataOffset, out, logicalOffset);
    }

    /**
     * Checks that each 4 KiB block of {@code data}, read from data-space offset {@code dataOffset}
     * (logical {@code logicalOffset}), matches its stored CRC32C. Reads check the CRC only: it catches
     * bit rot and torn writes at a fifth of the hash's cost; the hash serves comparisons with the master
     * ({@link Verifier}, which also checks the slave's blocks against both).
     */
    void checkBlocks(final long dataOffset, final MemorySegment data, final long logicalOffset) throws IOException
    {
        final int blocks = (int)(data.byteSize() / BLOCK);
        if (crcScratch.length < blocks)
        {
            crcScratch = new int[Math.max(blocks, crcScratch.length * 2)];
            hashScratch = new long[crcScratch.length];
        }
        final ByteBuffer buffer = data.asByteBuffer();
        checksums.load(dataOffset, crcScratch, null, 0, blocks);
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

    /**
     * Where the data of logical {@code logicalOffset} lies: {@code out[0]} = device offset (-1 when unmapped),
     * {@code out[1]} = bytes from there that are contiguous on the device and equally mapped (or unmapped),
     * at most {@code maxBytes}; {@code out[2]} = the data-space offset (when mapped). For export pipelines.
     */
    void locate(final long logicalOffset, final long maxBytes, final long[] out)
    {
        final long end = Math.min(logicalSizeBytes, logicalOffset + maxBytes);
        final boolean found = map.firstEndingAfter(logicalOffset, extent);
        if (found && extent[0] <= logicalOffset)
        {
            final long dataOffset = extent[2] + logicalOffset;
            out[0] = space.deviceOffset(dataOffset);
            out[1] = Math.min(Math.min(end, extent[1]) - logicalOffset, space.contiguousBytes(dataOffset));
            out[2] = dataOffset;
        }
        else
        {
            out[0] = -1;
            out[1] = (found ? Math.min(end, extent[0]) : end) - logicalOffset;
            out[2] = -1;
        }
    }

    /** The registered buffer that holds {@code data}, or -1. */
    private int registeredIndexOf(final MemorySegment data)
    {
        final long address = data.address();
        for (int i = 0; i < registered.length; i++)
        {
            final MemorySegment b = registered[i];
            if (address >= b.address() && address + data.byteSize() <= b.address() + b.byteSize())
            {
                return i;
            }
        }
        return -1;
    }

    /** True when the kernel can take the segment for O_DIRECT as it is: native and sector aligned. */
    private boolean direct(final MemorySegment segment)
    {
        return segment.isNative() && segment.address() % io.logicalSectorBytes() == 0;
    }

    /** The data ring, opened on first use; null when the data path stays synchronous. */
    private DataRing ring() throws IOException
    {
        if (!ringTried)
        {
            ringTried = true;
            ring = DataRing.open(io.fd(), io.path());
            if (ring != null)
            {
                ring.handler(handler);
                if (registered.length > 0)
                {
                    ring.registerBuffers(registered);
                }
            }
        }
        return ring;
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
