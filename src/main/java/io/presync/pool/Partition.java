package io.presync.pool;

import io.presync.ByteSizes;
import io.presync.RefusedException;
import io.presync.btree.BTree;
import io.presync.btree.CorruptPageException;
import io.presync.btree.ExtentCursor;
import io.presync.btree.ExtentMap;
import io.presync.btree.PageStore;
import io.presync.btree.PageStoreFullException;
import io.presync.btree.ShadowPageStore;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The data path of one pool partition: logical 4 KiB blocks of the master mapped into the
 * partition's data space, a CRC32C per block, and commits that make both durable.
 *
 * <ul>
 *   <li>{@link #write} maps logical ranges written for the first time to free data space (continuing
 *       the physical run of the logical block before it when that space is free, so sequential input
 *       lands contiguously; else the best-fitting free extent). An overwrite of a block mapped at the
 *       last commit is <em>copy-on-write</em>: it goes to free data space too, and the old space is
 *       freed only once the next commit is durable (the deferred free list), so a crash always leaves
 *       the last commit's bytes and CRCs intact (space is in fact held until the commit after that, so
 *       that the previous generation, which open falls back to when the newest superblock is damaged,
 *       stays intact too; after a reopen the same holds: open takes what that generation used out of
 *       the rebuilt free space until the next commit). Blocks mapped since the last commit are overwritten
 *       in place. A write that does not fit is refused before anything is written, after one commit
 *       to reclaim deferred space.</li>
 *   <li>{@link #discard} unmaps a range; its space is freed (and discarded on the device) after the
 *       next commit, or at once when it was never committed.</li>
 *   <li>{@link #read} returns mapped data (verifying each block's CRC) and zeros for unmapped
 *       ranges; {@link #checksums} gives the stored CRCs (and the CRC of a zero block where unmapped),
 *       which is what verification compares against the master.</li>
 *   <li>{@link #commit} flushes data and CRCs, writes the job state and the changed pages of the
 *       extent-map B-tree to free data space (shadowing: never over a page the last commit uses), then
 *       commits the pool metadata, which records the new tree root; after that the previous commit's
 *       pages and the deferred data space become free.</li>
 * </ul>
 *
 * The extent map is an {@link ExtentMap} over a {@link BTree} in a {@link ShadowPageStore} whose pages
 * live in this partition's data space (page id = data-space page + 1); its payload is
 * {@code dataOffset - logicalStart}, constant along a contiguous mapping, so neighbours written in
 * sequence merge. Free data space is held in memory ({@link FreeDataSpace}) and rebuilt on open as the
 * complement of what the committed metadata uses. Offsets and lengths are multiples of 4 KiB.
 * Not thread-safe; I/O is synchronous through the pool's device.
 */
public final class Partition implements AutoCloseable
{
    static final int BLOCK = PartitionSpace.BLOCK_BYTES;
    /** Tree pages are taken from free data space in runs of this many, so they rarely split a data run. */
    static final int PAGE_CHUNK = 16;
    /**
     * Tree pages kept available before a write: a base for the path copies of a commit's first change
     * (4 levels, four paths) plus a few per extent it may insert (a leaf split and its parents; pieces of
     * one write are neighbours in the tree and share their paths).
     */
    static final int BASE_RESERVE_PAGES = 16;
    static final int PAGES_PER_PIECE = 3;
    /** A new run of data starts in a free extent with this much room when there is one, so a stream can stay contiguous. */
    static final long STREAM_ROOM_BYTES = 1L << 20;
    /** Data space a new partition gets beyond its requested size, for its extent-map pages and job state. */
    static final long METADATA_HEADROOM_BYTES = 128L << 10;
    /** Largest job-state blob. */
    public static final int MAX_JOB_STATE_BYTES = 16 << 20;

    private final Pool pool;
    private final PoolIo io;
    private final String name;
    private final long logicalSizeBytes;
    private final long unitBytes;
    private final boolean writable;
    private final long[] extent = new long[3];
    private final long[] other = new long[3];
    private final CRC32C crc = new CRC32C();
    private int[] crcScratch = new int[256];
    private long[] hashScratch = new long[256];
    private final long[] hashWords = new long[BlockHash.BLOCK_LONGS];
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
    private final FreeDataSpace free = new FreeDataSpace();
    /** Data-space ranges allocated since the last commit (payload 0): overwritten in place. */
    private final ExtentMap fresh = ExtentMap.inMemory();
    /** Data-space ranges the current (uncommitted) changes no longer use: {start, length, discard?} triples. */
    private long[] deferred = new long[48];
    private int deferredCount;
    /**
     * Ranges the last commit stopped using: the generation before it (which the other superblock still
     * describes, and which open falls back to when the newest superblock is damaged) uses them, so they
     * become free only once the next commit is durable.
     */
    private long[] released = new long[48];
    private int releasedCount;
    private long deferredBytes;
    /** Free data-space pages set aside for tree pages (page ids). */
    private long[] pagePool = new long[PAGE_CHUNK];
    private int pagePoolCount;
    private final ShadowPageStore pages;
    private final ExtentMap map;
    private BTree tree;
    /** Snapshot of the committed tree: keeps its pages from being changed or reused. */
    private ExtentMap committedMap;
    /** Snapshot of the commit before it, kept for the same reason as {@link #released}. */
    private ExtentMap previousMap;
    private byte[] jobState;
    private boolean jobStateChanged;
    /** Committed job state: header page id (0 none) and its pieces {offset, length} pairs. */
    private long jobStateHeaderPage;
    private long[] jobStatePieces = new long[0];
    private long jobStatePageCount;
    /**
     * End of the highest data-space byte handed out since open (starting from the committed entry's
     * high water): nothing at or past it is live, so checksum pages covering only that space need no read.
     */
    long dataHighWater;
    private final long[] writeShape = new long[3];
    private boolean dirty;
    private boolean closed;
    /** Non-null once a change failed half way: every further change and commit is refused. */
    private String brokenReason;

    /**
     * Loads the committed state of {@code entry}: extent map, job state and the free data space. The
     * space the same partition used in the generation before ({@code before}, null when unknown), and no
     * longer uses, is held until the next commit, as if this process had made that commit: open falls
     * back to that generation when the newest is damaged, so its data must stay as it was until a newer
     * commit replaces it.
     */
    Partition(final Pool pool, final PoolIo io, final PartitionEntry entry, final PartitionEntry before, final long unitBytes,
        final boolean writable)
        throws IOException
    {
        this.pool = pool;
        this.io = io;
        this.name = entry.name;
        this.logicalSizeBytes = entry.logicalSizeBytes;
        this.unitBytes = unitBytes;
        this.writable = writable;
        this.dataHighWater = entry.dataHighWater;
        refreshSpace(entry);
        free.free(0, space.dataBytes());
        pages = new ShadowPageStore(new TreeMedium());
        boolean loaded = false;
        try
        {
            if (entry.mapRootPage != PageStore.NO_PAGE)
            {
                checkPage(entry.mapRootPage, entry);
                pages.loadTree(entry.mapRootPage, pageId -> markUsed(pageOffset(pageId), BLOCK, entry, "tree page"));
                tree = BTree.open(pages, entry.mapRootPage, 2);
            }
            else
            {
                tree = BTree.create(pages, 2);
            }
            map = new ExtentMap(tree);
            checkMap(entry);
            loadJobState(entry);
            committedMap = map.snapshotView();
            if (writable && before != null)
            {
                holdPrevious(before, entry);
            }
            loaded = true;
        }
        catch (final CorruptPageException | IllegalArgumentException | IndexOutOfBoundsException ex)
        {
            throw new CorruptMetadataException("the metadata of partition '" + name + "' on " + io.path() + " is damaged: " +
                ex.getMessage());
        }
        finally
        {
            if (!loaded)
            {
                pages.close();
                free.close();
                fresh.close();
            }
        }
    }

    /** The pool device's I/O (the verifier reads the data through its own ring on the same descriptor). */
    PoolIo io()
    {
        return io;
    }

    /** Re-reads the segments after an extension (cached checksum pages keep their device offsets). */
    void refreshSpace(final PartitionEntry entry) throws IOException
    {
        final long before = space == null ? 0 : space.dataBytes();
        space = new PartitionSpace(entry.segments, unitBytes);
        if (checksums == null)
        {
            checksums = new ChecksumArea(io, space);
        }
        else
        {
            checksums.space(space);
        }
        if (before > 0 && space.dataBytes() > before)
        {
            // An extension appends segments: their data space is new and free.
            free.free(before, space.dataBytes() - before);
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
        return map.totalBytes();
    }

    /** Data-space bytes the partition has (segments minus checksum pages). */
    public long dataBytes()
    {
        return space.dataBytes();
    }

    /**
     * Data-space bytes free for new data now or after the next commit (which {@link #write} makes by
     * itself when it needs the space): free extents plus the deferred and released frees.
     */
    public long freeDataBytes()
    {
        return free.freeBytes() + deferredBytes;
    }

    /** Data-space bytes free now, without a commit (tests). */
    long immediatelyFreeBytes()
    {
        return free.freeBytes();
    }

    /** Extents in the logical-to-data-space map. */
    public long extentCount()
    {
        return map.extentCount();
    }

    /** Pages of the extent-map B-tree. */
    public long mapPages()
    {
        return tree.pageCount();
    }

    /** Bytes of the largest free data-space extent. */
    long largestFreeExtentBytes()
    {
        return free.largestExtentBytes();
    }

    /** The free data-space extents as {start, length} (tests). */
    java.util.List<long[]> freeExtents()
    {
        return free.extents();
    }

    /** Free data-space extents (how fragmented the free space is). */
    public long freeExtentCount()
    {
        return free.extentCount();
    }

    /**
     * Writes {@code data} (its whole length, a multiple of 4 KiB) at {@code logicalOffset}.
     *
     * @throws RefusedException when the range leaves the master's size or the partition has too little
     *         free data space even after a commit; nothing is written then.
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
        requireWritable();
        final long end = logicalOffset + length;
        ensureSpace(logicalOffset, end);
        try
        {
            mapAndWrite(logicalOffset, data, end);
        }
        catch (final PageStoreFullException ex)
        {
            throw broken(ex);
        }
        dirty = true;
    }

    private void mapAndWrite(final long logicalOffset, final MemorySegment data, final long end) throws IOException
    {
        long position = logicalOffset;
        while (position < end)
        {
            final long pieceEnd;
            final boolean found = map.firstEndingAfter(position, extent);
            if (found && extent[0] <= position)
            {
                final long mappedEnd = Math.min(end, extent[1]);
                final long dataOffset = extent[2] + position;
                final boolean isFresh = fresh.firstEndingAfter(dataOffset, other);
                if (isFresh && other[0] <= dataOffset)
                {
                    // Written since the last commit: not committed, so in place.
                    pieceEnd = Math.min(mappedEnd, position + other[1] - dataOffset);
                    writeData(dataOffset, data, position - logicalOffset, pieceEnd - position);
                }
                else
                {
                    // Committed: copy-on-write; the old space is freed after the next commit.
                    final long committedEnd = isFresh ? Math.min(mappedEnd, position + other[0] - dataOffset) : mappedEnd;
                    pieceEnd = writeNew(logicalOffset, data, position, committedEnd);
                    defer(dataOffset, pieceEnd - position, false);
                }
            }
            else
            {
                pieceEnd = writeNew(logicalOffset, data, position, found ? Math.min(end, extent[0]) : end);
            }
            position = pieceEnd;
        }
    }

    /**
     * The tree ran out of pages in the middle of a change (the space check's estimate was short): the
     * in-memory map may be half changed, so the partition refuses everything until reopened; the last
     * commit on the device is intact.
     */
    private IOException broken(final RuntimeException cause)
    {
        brokenReason = "partition '" + name + "' ran out of data space for its extent map in the middle of a change; " +
            "reopen it (its last commit is intact) and extend it (presync pool extend)";
        return new IOException(brokenReason, cause);
    }

    /**
     * Writes {@code [position, limit)} of the input to newly allocated data space (as much as one free
     * run holds) and maps it; returns where the piece ended.
     */
    private long writeNew(final long logicalOffset, final MemorySegment data, final long position, final long limit) throws IOException
    {
        // Continue the physical run of the logical block before, so sequential input stays contiguous.
        long hint = -1;
        boolean stream = false;
        if (position >= BLOCK && map.firstEndingAfter(position - BLOCK, other) && other[0] <= position - BLOCK)
        {
            hint = other[2] + position;
            // A predecessor written since the last commit: a stream in progress, which should not
            // scatter over small holes when its run cannot go on.
            stream = fresh.coveredBytes(hint - BLOCK, hint) == BLOCK;
        }
        final long dataOffset = free.allocate(limit - position, hint, STREAM_ROOM_BYTES, stream);
        if (dataOffset < 0)
        {
            throw new IllegalStateException("partition '" + name + "' ran out of data space after its space check");
        }
        final long pieceEnd = position + free.lastLength();
        dataHighWater = Math.max(dataHighWater, dataOffset + free.lastLength());
        writeData(dataOffset, data, position - logicalOffset, pieceEnd - position);
        fresh.insert(dataOffset, dataOffset + (pieceEnd - position), 0);
        map.insert(position, pieceEnd, dataOffset - position);
        return pieceEnd;
    }

    /**
     * Data-space bytes a write of {@code [logicalOffset, logicalOffset + lengthBytes)} takes: its unmapped
     * part plus its part mapped at the last commit (copy-on-write puts that in new space; the old space is
     * free only after later commits). Tree pages for the map change are not included.
     */
    public long bytesNeededToWrite(final long logicalOffset, final long lengthBytes)
    {
        measureWrite(logicalOffset, logicalOffset + lengthBytes);
        return writeShape[0];
    }

    /** Fills {@link #writeShape} with {bytes of new space needed, unmapped gaps, mapped pieces} of a write. */
    private void measureWrite(final long start, final long end)
    {
        long needed = 0;
        long gaps = 0;
        long mappedPieces = 0;
        long position = start;
        while (position < end)
        {
            final boolean found = map.firstEndingAfter(position, extent);
            if (found && extent[0] <= position)
            {
                final long pieceEnd = Math.min(end, extent[1]);
                final long dataOffset = extent[2] + position;
                needed += (pieceEnd - position) - fresh.coveredBytes(dataOffset, dataOffset + (pieceEnd - position));
                position = pieceEnd;
                mappedPieces++;
            }
            else
            {
                final long pieceEnd = found ? Math.min(end, extent[0]) : end;
                needed += pieceEnd - position;
                position = pieceEnd;
                gaps++;
            }
        }
        writeShape[0] = needed;
        writeShape[1] = gaps;
        writeShape[2] = mappedPieces;
    }

    /**
     * Makes sure {@code [start, end)} can be written: new space for its unmapped and committed parts plus
     * tree pages for the map changes, committing to reclaim deferred space when that helps.
     */
    private void ensureSpace(final long start, final long end) throws IOException
    {
        measureWrite(start, end);
        final long needed = writeShape[0];
        final long gaps = writeShape[1];
        final long mappedPieces = writeShape[2];
        // New extents come from the gaps and from the free runs the new data lands in (one when a free
        // extent holds it all); overwritten extents are removed leaf by leaf.
        final long fragments = needed == 0 ? 0 : free.bestFit(needed) >= 0 ? 1 : Math.min(32, Math.min(free.extentCount(), needed / BLOCK));
        final long wanted = BASE_RESERVE_PAGES + PAGES_PER_PIECE * (gaps + fragments + 2) + mappedPieces / 8;
        if (!topUpPages(wanted, needed))
        {
            reclaim();
        }
        if (!topUpPages(wanted, needed))
        {
            throw new RefusedException("partition '" + name + "' is full: writing " + ByteSizes.format(end - start) + " needs " +
                ByteSizes.format(needed) + " of free data space (plus map pages) but it has " + ByteSizes.format(free.freeBytes()) +
                " free; extend it (presync pool extend)");
        }
    }

    /** Sets pages aside for the tree until {@code wanted} are ready, keeping {@code dataBytes} free; false when impossible. */
    private boolean topUpPages(final long wanted, final long dataBytes)
    {
        if ((free.freeBytes() - dataBytes) / BLOCK < wanted - pagePoolCount)
        {
            return false;
        }
        while (pagePoolCount < wanted)
        {
            final long spare = (free.freeBytes() - dataBytes) / BLOCK;
            final long want = wanted - pagePoolCount;
            if (spare < want || !takePageChunk(Math.min(spare, Math.max(want, PAGE_CHUNK))))
            {
                return false;
            }
        }
        return free.freeBytes() >= dataBytes;
    }

    /** Moves a run of free data space (up to {@code maxPages} pages, best fit) to the page pool; false when none is free. */
    private boolean takePageChunk(final long maxPages)
    {
        final long start = free.allocate(maxPages * BLOCK, -1);
        if (start < 0)
        {
            return false;
        }
        final int count = (int)(free.lastLength() / BLOCK);
        dataHighWater = Math.max(dataHighWater, start + free.lastLength());
        if (pagePoolCount + count > pagePool.length)
        {
            pagePool = Arrays.copyOf(pagePool, Math.max(pagePool.length * 2, pagePoolCount + count));
        }
        // Pushed in reverse so pages are handed out in ascending order.
        for (int i = count - 1; i >= 0; i--)
        {
            pagePool[pagePoolCount++] = pageId(start + (long)i * BLOCK);
        }
        return true;
    }

    /**
     * Unmaps {@code [logicalOffset, logicalOffset + lengthBytes)}: reads return zeros there. Space
     * written since the last commit is freed (and discarded) at once; committed space after the next
     * commit is durable, then discarded on the device.
     */
    public void discard(final long logicalOffset, final long lengthBytes) throws IOException
    {
        checkRange(logicalOffset, lengthBytes);
        requireWritable();
        final long end = logicalOffset + lengthBytes;
        // The map gains at most two extents (splits at both ends): keep pages for that.
        if (!topUpPages(BASE_RESERVE_PAGES, 0))
        {
            reclaim();
            if (!topUpPages(BASE_RESERVE_PAGES, 0))
            {
                throw new RefusedException("partition '" + name + "' has no free data space left for its map; extend it (presync pool extend)");
            }
        }
        long position = logicalOffset;
        while (position < end)
        {
            final boolean found = map.firstEndingAfter(position, extent);
            if (!found || extent[0] >= end)
            {
                break;
            }
            final long start = Math.max(position, extent[0]);
            final long pieceEnd = Math.min(end, extent[1]);
            long dataOffset = extent[2] + start;
            final long dataEnd = extent[2] + pieceEnd;
            while (dataOffset < dataEnd)
            {
                final boolean isFresh = fresh.firstEndingAfter(dataOffset, other);
                if (isFresh && other[0] <= dataOffset)
                {
                    final long n = Math.min(dataEnd, other[1]) - dataOffset;
                    fresh.remove(dataOffset, dataOffset + n);
                    free.free(dataOffset, n);
                    releaseData(dataOffset, n);
                    dataOffset += n;
                }
                else
                {
                    final long n = (isFresh ? Math.min(dataEnd, other[0]) : dataEnd) - dataOffset;
                    defer(dataOffset, n, true);
                    dataOffset += n;
                }
            }
            position = pieceEnd;
        }
        try
        {
            map.remove(logicalOffset, end);
        }
        catch (final PageStoreFullException ex)
        {
            throw broken(ex);
        }
        dirty = true;
    }

    /** Commits (twice at most) until the space the current and the last commit stopped using is free. */
    private void reclaim() throws IOException
    {
        for (int i = 0; i < 2 && (deferredCount > 0 || releasedCount > 0); i++)
        {
            dirty = true;
            pool.commitPartition(this);
        }
    }

    private void defer(final long dataOffset, final long length, final boolean discard)
    {
        if (deferredCount + 3 > deferred.length)
        {
            deferred = Arrays.copyOf(deferred, deferred.length * 2);
        }
        deferred[deferredCount++] = dataOffset;
        deferred[deferredCount++] = length;
        deferred[deferredCount++] = discard ? 1 : 0;
        deferredBytes += length;
    }

    /** Gives data-space bytes back to the storage below (thin storage forgets them); best effort. */
    private void releaseData(final long dataOffset, final long length) throws IOException
    {
        long offset = dataOffset;
        long done = 0;
        while (done < length)
        {
            final long n = Math.min(length - done, space.contiguousBytes(offset));
            io.release(space.deviceOffset(offset), n);
            done += n;
            offset += n;
        }
    }

    /** The job state as of the last {@link #setJobState} or commit: null when none was ever stored. */
    public byte[] jobState()
    {
        return jobState == null ? null : jobState.clone();
    }

    /**
     * Sets the opaque job state that the next {@link #commit} stores with the partition, atomically with
     * the data and map of that commit (a crash leaves the previous commit's state and data together).
     */
    public void setJobState(final byte[] state)
    {
        requireWritable();
        if (state.length > MAX_JOB_STATE_BYTES)
        {
            throw new IllegalArgumentException("job state of " + state.length + " bytes is larger than " + MAX_JOB_STATE_BYTES);
        }
        jobState = state.clone();
        jobStateChanged = true;
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
                java.util.Arrays.fill(out, index, index + (int)((pieceEnd - position) / BLOCK), ChecksumAreaDescriptor.ZERO_BLOCK_CRC);
                if (hashes != null)
                {
                    java.util.Arrays.fill(hashes, index, index + (int)((pieceEnd - position) / BLOCK), ChecksumAreaDescriptor.ZERO_BLOCK_HASH);
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

    /**
     * Makes every write, discard and job state so far durable: data and CRCs flushed, the job state and
     * the changed tree pages written to free space, then one pool metadata commit. Afterwards the space
     * the previous commit used and no longer needs becomes free.
     */
    public void commit() throws IOException
    {
        requireWritable();
        if (!dirty)
        {
            return;
        }
        if (jobStateChanged && jobState != null && jobStateBytesNeeded(jobState.length) > free.freeBytes() - BLOCK * 8L)
        {
            // No room for the new job state: commits that keep the old one free the deferred space first.
            jobStateChanged = false;
            try
            {
                reclaim();
            }
            finally
            {
                jobStateChanged = true;
                dirty = true;
            }
            if (jobStateBytesNeeded(jobState.length) > free.freeBytes() - BLOCK * 8L)
            {
                throw new RefusedException("partition '" + name + "' is full: its job state of " + ByteSizes.format(jobState.length) +
                    " does not fit in " + ByteSizes.format(free.freeBytes()) + " free; extend it (presync pool extend)");
            }
        }
        pool.commitPartition(this);
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
            committedMap.close();
            if (previousMap != null)
            {
                previousMap.close();
            }
            map.close();
            pages.close();
            free.close();
            fresh.close();
            pool.partitionClosed(this);
        }
    }

    /**
     * First half of a commit, called by the pool before it commits its metadata: writes cached CRCs, the
     * job state when it changed, and the dirty tree pages (all to space the last commit does not use),
     * and records the new root, counts and job state in {@code entry}.
     */
    void prepareCommit(final PartitionEntry entry) throws IOException
    {
        // Writes in flight, then cached checksum pages: the pool commit's first flush makes them durable.
        drain();
        checksums.flush();
        if (jobStateChanged)
        {
            writeJobState(entry);
        }
        pages.flush();
        entry.mapRootPage = tree.rootPageId();
        entry.mapPages = tree.pageCount();
        entry.mapExtentCount = map.extentCount();
        entry.usedBytes = map.totalBytes();
        // Everything the commit uses lies below the start of the trailing free run (trim keeps that much).
        entry.dataHighWater = free.freeRunEndingAt(space.dataBytes());
    }

    /**
     * Second half of a commit, once the pool's new superblock is durable: what the commit before the
     * last one used and neither of the two newest uses becomes free (its tree pages through its
     * snapshot, its data and job-state space from the released list; discarded ranges are discarded on
     * the device), and what this commit stopped using moves to the released list.
     */
    void committed() throws IOException
    {
        final ExtentMap view = map.snapshotView();
        if (previousMap != null)
        {
            previousMap.close();
        }
        previousMap = committedMap;
        committedMap = view;
        fresh.remove(0, Long.MAX_VALUE);
        for (int i = 0; i < releasedCount; i += 3)
        {
            free.free(released[i], released[i + 1]);
            deferredBytes -= released[i + 1];
            if (released[i + 2] != 0)
            {
                try
                {
                    releaseData(released[i], released[i + 1]);
                }
                catch (final IOException ex)
                {
                    // Discard only gives space back to thin storage; the space is free either way.
                }
            }
        }
        final long[] swap = released;
        released = deferred;
        releasedCount = deferredCount;
        deferred = swap;
        deferredCount = 0;
        jobStateChanged = false;
        dirty = false;
    }

    private static long jobStateBytesNeeded(final int bytes)
    {
        return BLOCK + roundUpToBlock(bytes);
    }

    /** Writes the job state to free space (header page last) and records it in {@code entry}; the old one is deferred. */
    private void writeJobState(final PartitionEntry entry) throws IOException
    {
        final long[] pieces;
        long header = PageStore.NO_PAGE;
        final byte[] state = jobState;
        if (state != null)
        {
            final long padded = roundUpToBlock(state.length);
            if (jobStateBytesNeeded(state.length) > free.freeBytes())
            {
                throw new RefusedException("partition '" + name + "' is full: no room for its job state; extend it (presync pool extend)");
            }
            long[] taken = new long[8];
            int count = 0;
            long remaining = padded;
            while (remaining > 0)
            {
                final long start = free.allocate(remaining, -1);
                if (count + 2 > taken.length)
                {
                    taken = Arrays.copyOf(taken, taken.length * 2);
                }
                taken[count++] = start;
                taken[count++] = free.lastLength();
                dataHighWater = Math.max(dataHighWater, start + free.lastLength());
                remaining -= free.lastLength();
            }
            if (count / 2 > JobStateDescriptor.MAX_PIECES)
            {
                for (int i = 0; i < count; i += 2)
                {
                    free.free(taken[i], taken[i + 1]);
                }
                throw new RefusedException("partition '" + name + "' has its free space in too many pieces for a job state of " +
                    ByteSizes.format(state.length) + "; extend it (presync pool extend)");
            }
            pieces = Arrays.copyOf(taken, count);
            final ByteBuffer blob = ByteBuffer.allocate((int)padded);
            blob.put(state).clear();
            long at = 0;
            for (int i = 0; i < count; i += 2)
            {
                writeDataRaw(pieces[i], blob.limit((int)(at + pieces[i + 1])).position((int)at));
                at += pieces[i + 1];
                fresh.insert(pieces[i], pieces[i] + pieces[i + 1], 0);
            }
            final long headerOffset = free.allocate(BLOCK, -1);
            dataHighWater = Math.max(dataHighWater, headerOffset + BLOCK);
            header = pageId(headerOffset);
            fresh.insert(headerOffset, headerOffset + BLOCK, 0);
            final CRC32C blobCrc = new CRC32C();
            blobCrc.update(state);
            final ByteBuffer page = ByteBuffer.allocate(BLOCK).order(ByteOrder.LITTLE_ENDIAN);
            page.putLong(JobStateDescriptor.MAGIC_OFFSET, JobStateDescriptor.MAGIC);
            page.putLong(JobStateDescriptor.PAGE_ID_OFFSET, header);
            page.putLong(JobStateDescriptor.BLOB_BYTES_OFFSET, state.length);
            page.putInt(JobStateDescriptor.BLOB_CRC_OFFSET, (int)blobCrc.getValue());
            page.putInt(JobStateDescriptor.PIECE_COUNT_OFFSET, count / 2);
            for (int i = 0; i < count; i += 2)
            {
                page.putLong(JobStateDescriptor.pieceOffset(i / 2), pieces[i]);
                page.putLong(JobStateDescriptor.pieceOffset(i / 2) + 8, pieces[i + 1]);
            }
            final CRC32C pageCrc = new CRC32C();
            pageCrc.update(page.array(), 0, JobStateDescriptor.CRC_OFFSET);
            page.putInt(JobStateDescriptor.CRC_OFFSET, (int)pageCrc.getValue());
            writeDataRaw(headerOffset, page.clear());
        }
        else
        {
            pieces = new long[0];
        }
        if (jobStateHeaderPage != PageStore.NO_PAGE)
        {
            defer(pageOffset(jobStateHeaderPage), BLOCK, false);
            for (int i = 0; i < jobStatePieces.length; i += 2)
            {
                defer(jobStatePieces[i], jobStatePieces[i + 1], false);
            }
        }
        jobStateHeaderPage = header;
        jobStatePieces = pieces;
        jobStatePageCount = header == PageStore.NO_PAGE ? 0 : 1 + roundUpToBlock(state.length) / BLOCK;
        entry.jobStateHeaderPage = header;
        entry.jobStateBytes = state == null ? 0 : state.length;
        entry.jobStatePages = jobStatePageCount;
    }

    /** Reads and checks the committed job state of {@code entry}, marking its space used. */
    private void loadJobState(final PartitionEntry entry) throws IOException
    {
        if (entry.jobStateHeaderPage == PageStore.NO_PAGE)
        {
            return;
        }
        final String what = "the job state of partition '" + name + "' on " + io.path();
        checkPage(entry.jobStateHeaderPage, entry);
        final long headerOffset = pageOffset(entry.jobStateHeaderPage);
        markUsed(headerOffset, BLOCK, entry, "job-state header");
        final ByteBuffer page = ByteBuffer.allocate(BLOCK).order(ByteOrder.LITTLE_ENDIAN);
        readDataRaw(io, space, headerOffset, page);
        final CRC32C pageCrc = new CRC32C();
        pageCrc.update(page.array(), 0, JobStateDescriptor.CRC_OFFSET);
        if (page.getLong(JobStateDescriptor.MAGIC_OFFSET) != JobStateDescriptor.MAGIC ||
            page.getInt(JobStateDescriptor.CRC_OFFSET) != (int)pageCrc.getValue() ||
            page.getLong(JobStateDescriptor.PAGE_ID_OFFSET) != entry.jobStateHeaderPage)
        {
            throw new CorruptMetadataException(what + " has a damaged header page");
        }
        final long bytes = page.getLong(JobStateDescriptor.BLOB_BYTES_OFFSET);
        final int count = page.getInt(JobStateDescriptor.PIECE_COUNT_OFFSET);
        if (bytes < 0 || bytes > MAX_JOB_STATE_BYTES || bytes != entry.jobStateBytes || count < 0 || count > JobStateDescriptor.MAX_PIECES)
        {
            throw new CorruptMetadataException(what + " has a bad header (" + bytes + " bytes in " + count + " pieces)");
        }
        final long[] pieces = new long[2 * count];
        final ByteBuffer blob = ByteBuffer.allocate((int)roundUpToBlock(bytes));
        long at = 0;
        for (int i = 0; i < count; i++)
        {
            final long start = page.getLong(JobStateDescriptor.pieceOffset(i));
            final long length = page.getLong(JobStateDescriptor.pieceOffset(i) + 8);
            if (start < 0 || length <= 0 || start % BLOCK != 0 || length % BLOCK != 0 || at + length > blob.capacity())
            {
                throw new CorruptMetadataException(what + " has a bad piece " + i);
            }
            markUsed(start, length, entry, "job-state piece");
            readDataRaw(io, space, start, blob.limit((int)(at + length)).position((int)at));
            at += length;
            pieces[2 * i] = start;
            pieces[2 * i + 1] = length;
        }
        if (at != blob.capacity())
        {
            throw new CorruptMetadataException(what + " has pieces of " + at + " bytes for " + bytes);
        }
        final byte[] state = Arrays.copyOf(blob.array(), (int)bytes);
        final CRC32C blobCrc = new CRC32C();
        blobCrc.update(state);
        if ((int)blobCrc.getValue() != page.getInt(JobStateDescriptor.BLOB_CRC_OFFSET))
        {
            throw new CorruptMetadataException(what + " fails its CRC32C");
        }
        jobState = state;
        jobStateHeaderPage = entry.jobStateHeaderPage;
        jobStatePieces = pieces;
        jobStatePageCount = 1 + blob.capacity() / BLOCK;
    }

    /** Checks every committed extent and takes its data space out of the free space (rebuilt on open). */
    private void checkMap(final PartitionEntry entry) throws IOException
    {
        if (map.extentCount() != entry.mapExtentCount)
        {
            throw new CorruptMetadataException("the extent map of partition '" + name + "' on " + io.path() + " holds " +
                map.extentCount() + " extents, its entry says " + entry.mapExtentCount);
        }
        final ExtentCursor cursor = map.cursor(0);
        long previousEnd = 0;
        while (cursor.next())
        {
            final long start = cursor.start();
            final long end = cursor.end();
            final long dataOffset = start + cursor.payload();
            if (start < previousEnd || end <= start || end > logicalSizeBytes || start % BLOCK != 0 || end % BLOCK != 0)
            {
                throw new CorruptMetadataException("the extent map of partition '" + name + "' on " + io.path() +
                    " has a bad extent [" + start + ", " + end + ")");
            }
            markUsed(dataOffset, end - start, entry, "data of logical offset " + start);
            previousEnd = end;
        }
    }

    /**
     * Holds the data space the previous generation's entry {@code before} uses and the committed one
     * does not (its data, tree pages and job state) on the released list, which the next commit frees.
     * Best effort: a previous generation that cannot be read (damaged, or the partition's segments
     * changed since) is not kept, as open could not fall back to it for this partition anyway.
     */
    private void holdPrevious(final PartitionEntry before, final PartitionEntry entry) throws IOException
    {
        if (!sameDataSpace(before, entry) || (before.mapRootPage == PageStore.NO_PAGE && before.jobStateHeaderPage == PageStore.NO_PAGE))
        {
            return;
        }
        final ShadowPageStore previousPages = new ShadowPageStore(new PreviousTreeMedium());
        try
        {
            if (before.mapRootPage != PageStore.NO_PAGE)
            {
                checkPage(before.mapRootPage, before);
                previousPages.loadTree(before.mapRootPage, pageId -> hold(pageOffset(pageId), BLOCK));
                try (ExtentMap previousMap = new ExtentMap(BTree.open(previousPages, before.mapRootPage, 2)))
                {
                    final ExtentCursor cursor = previousMap.cursor(0);
                    while (cursor.next())
                    {
                        hold(cursor.start() + cursor.payload(), cursor.end() - cursor.start());
                    }
                }
            }
            if (before.jobStateHeaderPage != PageStore.NO_PAGE && before.jobStateHeaderPage != entry.jobStateHeaderPage)
            {
                checkPage(before.jobStateHeaderPage, before);
                final long headerOffset = pageOffset(before.jobStateHeaderPage);
                final ByteBuffer page = ByteBuffer.allocate(BLOCK).order(ByteOrder.LITTLE_ENDIAN);
                readDataRaw(io, space, headerOffset, page);
                final CRC32C pageCrc = new CRC32C();
                pageCrc.update(page.array(), 0, JobStateDescriptor.CRC_OFFSET);
                final int count = page.getInt(JobStateDescriptor.PIECE_COUNT_OFFSET);
                if (page.getInt(JobStateDescriptor.CRC_OFFSET) == (int)pageCrc.getValue() && count >= 0 &&
                    count <= JobStateDescriptor.MAX_PIECES)
                {
                    hold(headerOffset, BLOCK);
                    for (int i = 0; i < count; i++)
                    {
                        hold(page.getLong(JobStateDescriptor.pieceOffset(i)), page.getLong(JobStateDescriptor.pieceOffset(i) + 8));
                    }
                }
            }
        }
        catch (final CorruptPageException | CorruptMetadataException | IllegalArgumentException | IndexOutOfBoundsException ex)
        {
            // The previous generation is damaged: open could not fall back to it; what was held stays held until the next commit.
        }
        finally
        {
            previousPages.close();
        }
    }

    /** Whether {@code before}'s segments are {@code entry}'s or a prefix of them (an extension appends): data offsets agree. */
    private static boolean sameDataSpace(final PartitionEntry before, final PartitionEntry entry)
    {
        if (before.segments.size() > entry.segments.size())
        {
            return false;
        }
        for (int i = 0; i < before.segments.size(); i++)
        {
            if (!before.segments.get(i).equals(entry.segments.get(i)))
            {
                return false;
            }
        }
        return true;
    }

    /** Moves the free parts of data-space range {@code [dataOffset, dataOffset + length)} to the released list. */
    private void hold(final long dataOffset, final long length)
    {
        final long end = Math.min(space.dataBytes(), dataOffset + Math.max(0, length));
        long position = Math.max(0, dataOffset) / BLOCK * BLOCK;
        while (position < end)
        {
            position = free.nextFreeAtOrAfter(position);
            if (position >= end)
            {
                break;
            }
            final long taken = free.takeAt(position, (end - position + BLOCK - 1) / BLOCK * BLOCK);
            if (releasedCount + 3 > released.length)
            {
                released = Arrays.copyOf(released, released.length * 2);
            }
            released[releasedCount++] = position;
            released[releasedCount++] = taken;
            released[releasedCount++] = 0;
            deferredBytes += taken;
            position += taken;
        }
    }

    /** Reads the previous generation's tree pages (read only: it is never changed). */
    private final class PreviousTreeMedium implements ShadowPageStore.Medium
    {
        @Override
        public long allocatePage()
        {
            return PageStore.NO_PAGE;
        }

        @Override
        public void freePage(final long pageId)
        {
        }

        @Override
        public void readPage(final long pageId, final MemorySegment page) throws IOException
        {
            io.read(space.deviceOffset(pageOffset(pageId)), page);
        }

        @Override
        public void writePage(final long pageId, final MemorySegment page)
        {
            throw new IllegalStateException("the previous generation's tree is read only");
        }

        @Override
        public String describe(final long pageId)
        {
            return "data offset " + pageOffset(pageId) + " of " + io.path() + " (previous generation)";
        }
    }

    private void markUsed(final long dataOffset, final long length, final PartitionEntry entry, final String what)
    {
        if (dataOffset < 0 || dataOffset % BLOCK != 0 || dataOffset + length > space.dataBytes() || !free.isFree(dataOffset, length))
        {
            throw new CorruptPageException("the " + what + " of partition '" + entry.name + "' on " + io.path() + " at data offset " +
                dataOffset + " (+" + length + ") is outside the data space or used twice", dataOffset, -1);
        }
        free.takeAt(dataOffset, length);
    }

    private void checkPage(final long pageId, final PartitionEntry entry) throws CorruptMetadataException
    {
        if (pageId <= 0 || pageOffset(pageId) + BLOCK > space.dataBytes())
        {
            throw new CorruptMetadataException("partition '" + entry.name + "' on " + io.path() + " points at page " + pageId +
                " outside its data space");
        }
    }

    /**
     * Checks the space accounting (tests): free extents, mapped data, tree pages, the page pool,
     * deferred frees and the job state tile the data space exactly.
     *
     * @throws IllegalStateException naming the first block used twice or not at all.
     */
    void checkSpace()
    {
        final java.util.BitSet used = new java.util.BitSet();
        final java.util.function.BiConsumer<long[], String> mark = (range, what) ->
        {
            for (long b = range[0] / BLOCK; b < (range[0] + range[1]) / BLOCK; b++)
            {
                if (used.get((int)b))
                {
                    throw new IllegalStateException("data block " + b + " of '" + name + "' is used twice (" + what + ")");
                }
                used.set((int)b);
            }
        };
        for (final long[] e : free.extents())
        {
            mark.accept(e, "free");
        }
        final ExtentCursor c = map.cursor(0);
        while (c.next())
        {
            mark.accept(new long[] {c.start() + c.payload(), c.end() - c.start()}, "data");
        }
        pages.forEachPage(id -> mark.accept(new long[] {pageOffset(id), BLOCK}, "tree page"));
        for (int i = 0; i < pagePoolCount; i++)
        {
            mark.accept(new long[] {pageOffset(pagePool[i]), BLOCK}, "page pool");
        }
        for (int i = 0; i < deferredCount; i += 3)
        {
            mark.accept(new long[] {deferred[i], deferred[i + 1]}, "deferred");
        }
        for (int i = 0; i < releasedCount; i += 3)
        {
            mark.accept(new long[] {released[i], released[i + 1]}, "released");
        }
        if (jobStateHeaderPage != PageStore.NO_PAGE)
        {
            mark.accept(new long[] {pageOffset(jobStateHeaderPage), BLOCK}, "job-state header");
            for (int i = 0; i < jobStatePieces.length; i += 2)
            {
                mark.accept(new long[] {jobStatePieces[i], jobStatePieces[i + 1]}, "job state");
            }
        }
        final int blocks = (int)(space.dataBytes() / BLOCK);
        if (used.cardinality() != blocks || used.length() > blocks)
        {
            throw new IllegalStateException("data block " + used.nextClearBit(0) + " of '" + name + "' is neither free nor used");
        }
    }

    static long pageId(final long dataOffset)
    {
        return dataOffset / BLOCK + 1;
    }

    static long pageOffset(final long pageId)
    {
        return (pageId - 1) * BLOCK;
    }

    /** The tree's pages in this partition's data space: page id = data-space page + 1. */
    private final class TreeMedium implements ShadowPageStore.Medium
    {
        private final ByteBuffer scratch = ByteBuffer.allocateDirect(BLOCK);

        @Override
        public long allocatePage()
        {
            if (pagePoolCount == 0 && !takePageChunk(PAGE_CHUNK))
            {
                return PageStore.NO_PAGE;
            }
            return pagePool[--pagePoolCount];
        }

        @Override
        public void freePage(final long pageId)
        {
            // Only pages no commit still uses come back (see ShadowPageStore): reusable at once.
            if (pagePoolCount == pagePool.length)
            {
                pagePool = Arrays.copyOf(pagePool, pagePool.length * 2);
            }
            pagePool[pagePoolCount++] = pageId;
        }

        @Override
        public void readPage(final long pageId, final MemorySegment page) throws IOException
        {
            io.read(space.deviceOffset(pageOffset(pageId)), page);
        }

        @Override
        public void writePage(final long pageId, final MemorySegment page) throws IOException
        {
            io.write(space.deviceOffset(pageOffset(pageId)), page);
        }

        @Override
        public String describe(final long pageId)
        {
            final long offset = pageOffset(pageId);
            return "data offset " + offset + (offset >= 0 && offset < space.dataBytes() ? ", device offset " + space.deviceOffset(offset) : "") +
                " of " + io.path();
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
            final long offset = from + (long)b * BLOCK;
            if (BlockHash.isZero(data, offset))
            {
                // The same record a computation gives, for a fraction of its cost.
                crcScratch[b] = ChecksumAreaDescriptor.ZERO_BLOCK_CRC;
                hashScratch[b] = ChecksumAreaDescriptor.ZERO_BLOCK_HASH;
                continue;
            }
            crcScratch[b] = BlockHash.crc32c(crc, view, viewBase + b * BLOCK);
            hashScratch[b] = BlockHash.hash(data, offset, hashWords);
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
            if (BlockHash.crc32c(crc, buffer, b * BLOCK) != crcScratch[b])
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

    private void requireWritable()
    {
        if (closed)
        {
            throw new IllegalStateException("partition '" + name + "' is closed");
        }
        if (!writable)
        {
            throw new IllegalStateException("partition '" + name + "' was opened for reading only");
        }
        if (brokenReason != null)
        {
            throw new IllegalStateException(brokenReason);
        }
    }

    private static long roundUpToBlock(final long bytes)
    {
        return (bytes + BLOCK - 1) / BLOCK * BLOCK;
    }

}
