package io.presync.pool;

import io.presync.device.BlockDevice;
import org.agrona.collections.Long2LongHashMap;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

import static io.presync.pool.ChecksumAreaDescriptor.CRC_OFFSET;
import static io.presync.pool.ChecksumAreaDescriptor.HASH_OFFSET;
import static io.presync.pool.ChecksumAreaDescriptor.RECORDS_PER_PAGE;
import static io.presync.pool.ChecksumAreaDescriptor.RECORD_BYTES;

/**
 * The checksum records (CRC32C and {@link BlockHash}, see {@link ChecksumAreaDescriptor}) of a
 * partition's 4 KiB data blocks, kept in the checksum pages at the start of each segment (see
 * {@link PartitionSpace}), with a write-back cache of those pages: a data write changes a few records
 * of a page, and a synchronous read-modify-write of the page per data write would cost two device
 * round trips each. Dirty pages go to the device at {@link #flush} (the partition's commit calls it
 * before the metadata commit flushes the device) or when the cache evicts them. A page whose every
 * record a store overwrites is not read first.
 *
 * <p>The cache allocates nothing once warm: pages live in native blocks of {@value #BLOCK_PAGES} pages, allocated
 * as the cache grows and indexed by slot (a growing heap array was copied at every doubling, and every copy was
 * fresh memory to fault in: on a small VM a tenth of a second of a 1.6 GiB copy), a
 * primitive open-addressing map ({@link Long2LongHashMap}) finds a page's slot by its device offset,
 * and eviction is CLOCK (second chance) over primitive arrays. Device reads and writes of single pages
 * go through one aligned native page.
 *
 * <p>Crash safety is the caller's: the data path writes data and its records, flushes, and only then
 * commits metadata that maps the data; a record of an unmapped block means nothing.
 */
final class ChecksumArea
{
    /** Pages kept in memory: 16 MiB of records, covering about 5.3 GiB of data. */
    static final int MAX_CACHED_PAGES = 4096;
    /** Pages per native block of the cache (256 KiB): memory is taken as the cache fills, never copied. */
    static final int BLOCK_PAGES = 64;
    private static final int PAGE = ChecksumAreaDescriptor.PAGE_BYTES;
    private static final int FLUSH_RUN_PAGES = 256;
    /** Checksum pages one cache miss reads at once (records of 42 MiB of data). */
    static final int READ_AHEAD_PAGES = 32;

    private final PoolIo io;
    private PartitionSpace space;
    private final Long2LongHashMap slotOf = new Long2LongHashMap(-1);
    private final Arena arena = Arena.ofAuto();
    private final MemorySegment ioPage;
    private MemorySegment flushRun;
    /** Zeros for a page that is not read from the device. */
    private static final MemorySegment ZERO_PAGE = Arena.global().allocate(PAGE, PAGE);
    private final int blockPages;
    // Slot s lives in blocks[s / blockPages] at (s % blockPages) * PAGE; views are the same blocks as buffers.
    private MemorySegment[] blocks = new MemorySegment[0];
    private ByteBuffer[] views = new ByteBuffer[0];
    private long[] pageOffsetOf = new long[0];
    private boolean[] dirty = new boolean[0];
    private boolean[] referenced = new boolean[0];
    private long[] flushScratch = new long[0];
    private int used;
    private int hand;

    private final int maxPages;

    ChecksumArea(final PoolIo io, final PartitionSpace space)
    {
        this(io, space, MAX_CACHED_PAGES);
    }

    /** With a cache of at most {@code maxPages} pages (tests use small ones to exercise eviction). */
    ChecksumArea(final PoolIo io, final PartitionSpace space, final int maxPages)
    {
        this(io, space, maxPages, BLOCK_PAGES);
    }

    /** With native blocks of {@code blockPages} pages (tests use small ones to span several blocks). */
    ChecksumArea(final PoolIo io, final PartitionSpace space, final int maxPages, final int blockPages)
    {
        this.io = io;
        this.space = space;
        this.maxPages = maxPages;
        this.blockPages = Math.max(1, Math.min(blockPages, maxPages));
        this.ioPage = BlockDevice.allocateAligned(arena, PAGE, PAGE);
    }

    /** The partition's segments changed (an extension): cached pages keep their device offsets. */
    void space(final PartitionSpace space)
    {
        this.space = space;
    }

    /**
     * Stores {@code crcs[from, from + count)} and {@code hashes[from, from + count)} for the blocks
     * starting at block-aligned {@code dataOffset}.
     */
    void store(final long dataOffset, final int[] crcs, final long[] hashes, final int from, final int count) throws IOException
    {
        store(dataOffset, crcs, hashes, from, count, Long.MAX_VALUE);
    }

    /**
     * As {@link #store}, told that no block at data offset {@code freshFrom} or beyond holds live data
     * apart from those stored now (the caller writes at or past its data high water): a page whose
     * records all lie there is not read from the device first, so a copy into fresh space never waits
     * for a checksum-page read behind its own queued data writes.
     */
    void store(final long dataOffset, final int[] crcs, final long[] hashes, final int from, final int count,
        final long freshFrom) throws IOException
    {
        checkRange(dataOffset, count);
        long offset = dataOffset;
        for (int i = 0; i < count; )
        {
            final long record = space.checksumOffset(offset);
            final long pageOffset = record & ~(PAGE - 1L);
            final int firstRecord = (int)(record - pageOffset) / RECORD_BYTES;
            // Records of this page the run covers: up to the page end, the segment end and the count.
            final int n = (int)Math.min(Math.min(RECORDS_PER_PAGE - firstRecord, count - i),
                space.contiguousBytes(offset) / PartitionSpace.BLOCK_BYTES);
            final boolean noRead = (firstRecord == 0 && n == RECORDS_PER_PAGE) ||
                offset - (long)firstRecord * PartitionSpace.BLOCK_BYTES >= freshFrom;
            final int slot = page(pageOffset, noRead, offset);
            final int base = (int)offsetInBlock(slot) + firstRecord * RECORD_BYTES;
            final ByteBuffer v = views[slot / blockPages];
            for (int k = 0; k < n; k++)
            {
                v.putInt(base + k * RECORD_BYTES + CRC_OFFSET, crcs[from + i + k]);
                v.putLong(base + k * RECORD_BYTES + HASH_OFFSET, hashes[from + i + k]);
            }
            dirty[slot] = true;
            i += n;
            offset += (long)n * PartitionSpace.BLOCK_BYTES;
        }
    }

    /**
     * Loads the records of {@code count} blocks from block-aligned {@code dataOffset} into
     * {@code crcs[from...]} and, when not null, {@code hashes[from...]}.
     */
    void load(final long dataOffset, final int[] crcs, final long[] hashes, final int from, final int count) throws IOException
    {
        checkRange(dataOffset, count);
        long offset = dataOffset;
        for (int i = 0; i < count; )
        {
            final long record = space.checksumOffset(offset);
            final long pageOffset = record & ~(PAGE - 1L);
            final int firstRecord = (int)(record - pageOffset) / RECORD_BYTES;
            final int n = (int)Math.min(Math.min(RECORDS_PER_PAGE - firstRecord, count - i),
                space.contiguousBytes(offset) / PartitionSpace.BLOCK_BYTES);
            final int slot = page(pageOffset, false, offset);
            final int base = (int)offsetInBlock(slot) + firstRecord * RECORD_BYTES;
            final ByteBuffer v = views[slot / blockPages];
            for (int k = 0; k < n; k++)
            {
                crcs[from + i + k] = v.getInt(base + k * RECORD_BYTES + CRC_OFFSET);
                if (hashes != null)
                {
                    hashes[from + i + k] = v.getLong(base + k * RECORD_BYTES + HASH_OFFSET);
                }
            }
            i += n;
            offset += (long)n * PartitionSpace.BLOCK_BYTES;
        }
    }

    /** Writes every dirty page (adjacent ones in one I/O); durability is the caller's next device flush. */
    void flush() throws IOException
    {
        int count = 0;
        for (int slot = 0; slot < used; slot++)
        {
            if (dirty[slot])
            {
                flushScratch[count++] = pageOffsetOf[slot];
            }
        }
        if (count == 0)
        {
            return;
        }
        Arrays.sort(flushScratch, 0, count);
        runBuffer();
        int i = 0;
        while (i < count)
        {
            int j = i + 1;
            while (j < count && flushScratch[j] == flushScratch[j - 1] + PAGE && j - i < FLUSH_RUN_PAGES)
            {
                j++;
            }
            for (int k = i; k < j; k++)
            {
                final int slot = (int)slotOf.get(flushScratch[k]);
                MemorySegment.copy(blocks[slot / blockPages], offsetInBlock(slot), flushRun, (long)(k - i) * PAGE, PAGE);
                dirty[slot] = false;
            }
            io.write(flushScratch[i], flushRun.asSlice(0, (long)(j - i) * PAGE));
            i = j;
        }
    }

    /** Dirty pages waiting for {@link #flush} (for tests and memory accounting). */
    int dirtyPages()
    {
        int n = 0;
        for (int slot = 0; slot < used; slot++)
        {
            n += dirty[slot] ? 1 : 0;
        }
        return n;
    }

    /** Pages in the cache. */
    int cachedPages()
    {
        return slotOf.size();
    }

    /**
     * The slot holding the page at device offset {@code pageOffset} (which holds the record of data offset
     * {@code dataOffset}), read from the device unless {@code noRead}. A read takes the following pages
     * of the segment's checksum area too (up to {@link #READ_AHEAD_PAGES}, those not cached): scans
     * (export, verify, resume) then wait for one read per 42 MiB of data, not per 1.3 MiB.
     */
    private int page(final long pageOffset, final boolean noRead, final long dataOffset) throws IOException
    {
        final long found = slotOf.get(pageOffset);
        if (found >= 0)
        {
            referenced[(int)found] = true;
            return (int)found;
        }
        if (noRead)
        {
            final int slot = freeSlot();
            MemorySegment.copy(ZERO_PAGE, 0, blocks[slot / blockPages], offsetInBlock(slot), PAGE);
            return install(slot, pageOffset);
        }
        final int count = (int)Math.max(1, Math.min(Math.min(READ_AHEAD_PAGES, maxPages / 4),
            (space.checksumAreaEnd(dataOffset) - pageOffset) / PAGE));
        if (count == 1)
        {
            final int slot = freeSlot(); // first: an eviction writes back through ioPage
            io.read(pageOffset, ioPage);
            MemorySegment.copy(ioPage, 0, blocks[slot / blockPages], offsetInBlock(slot), PAGE);
            return install(slot, pageOffset);
        }
        final MemorySegment run = runBuffer();
        // Pages cached now may be newer than the device; one evicted (written back) during the loop below
        // must not come back from this older read either: only pages absent now are installed.
        long absent = 0;
        for (int k = 1; k < count; k++)
        {
            absent |= slotOf.get(pageOffset + (long)k * PAGE) < 0 ? 1L << k : 0;
        }
        io.read(pageOffset, run.asSlice(0, (long)count * PAGE));
        // The pages ahead first, the wanted one last: a later eviction cannot take it before the caller uses it.
        for (int k = 1; k < count; k++)
        {
            final long ahead = pageOffset + (long)k * PAGE;
            if ((absent & (1L << k)) != 0 && slotOf.get(ahead) < 0)
            {
                final int slot = freeSlot();
                MemorySegment.copy(run, (long)k * PAGE, blocks[slot / blockPages], offsetInBlock(slot), PAGE);
                install(slot, ahead);
                referenced[slot] = false;
            }
        }
        final int slot = freeSlot();
        MemorySegment.copy(run, 0, blocks[slot / blockPages], offsetInBlock(slot), PAGE);
        return install(slot, pageOffset);
    }

    private int install(final int slot, final long pageOffset)
    {
        pageOffsetOf[slot] = pageOffset;
        dirty[slot] = false;
        referenced[slot] = true;
        slotOf.put(pageOffset, slot);
        return slot;
    }

    private MemorySegment runBuffer()
    {
        if (flushRun == null)
        {
            flushRun = BlockDevice.allocateAligned(arena, (long)FLUSH_RUN_PAGES * PAGE, PAGE);
        }
        return flushRun;
    }

    /** A slot for a new page: an unused one while the cache grows, else CLOCK's victim (written back when dirty). */
    private int freeSlot() throws IOException
    {
        if (used < maxPages)
        {
            if (used == (long)blocks.length * blockPages)
            {
                grow();
            }
            return used++;
        }
        while (referenced[hand])
        {
            referenced[hand] = false;
            hand = (hand + 1) % used;
        }
        final int victim = hand;
        hand = (hand + 1) % used;
        if (dirty[victim])
        {
            MemorySegment.copy(blocks[victim / blockPages], offsetInBlock(victim), ioPage, 0, PAGE);
            io.write(pageOffsetOf[victim], ioPage);
            dirty[victim] = false;
        }
        slotOf.remove(pageOffsetOf[victim]);
        return victim;
    }

    private long offsetInBlock(final int slot)
    {
        return (long)(slot % blockPages) * PAGE;
    }

    /** One more block of pages; the per-slot arrays (a few bytes a page) double. */
    private void grow()
    {
        final int count = blocks.length;
        blocks = Arrays.copyOf(blocks, count + 1);
        views = Arrays.copyOf(views, count + 1);
        blocks[count] = arena.allocate((long)blockPages * PAGE, PAGE);
        views[count] = blocks[count].asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        final int capacity = Math.min(maxPages, Math.max(pageOffsetOf.length * 2, (count + 1) * blockPages));
        pageOffsetOf = Arrays.copyOf(pageOffsetOf, capacity);
        dirty = Arrays.copyOf(dirty, capacity);
        referenced = Arrays.copyOf(referenced, capacity);
        flushScratch = new long[capacity];
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
}
