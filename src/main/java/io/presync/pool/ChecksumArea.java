package io.presync.pool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The CRC32C values of a partition's 4 KiB data blocks, kept in the checksum pages at the start of
 * each segment (see {@link PartitionSpace}), with a write-back cache of those pages: a data write
 * changes a few CRCs of a page, and a synchronous read-modify-write of the page per data write would
 * cost two device round trips each. Dirty pages go to the device at {@link #flush} (the partition's
 * commit calls it before the metadata commit flushes the device) or when the cache evicts them.
 * A page whose every slot a store overwrites is not read first.
 *
 * <p>Crash safety is the caller's: the data path writes data and its CRCs, flushes, and only then
 * commits metadata that maps the data; a CRC slot of an unmapped block means nothing.
 */
final class ChecksumArea
{
    /** Pages kept in memory: 16 MiB of CRCs, covering 16 GiB of data. */
    static final int MAX_CACHED_PAGES = 4096;
    private static final int PAGE = PartitionSpace.BLOCK_BYTES;
    private static final int CRC = PartitionSpace.CRC_BYTES;
    private static final int CRCS_PER_PAGE = PAGE / CRC;

    /** One cached checksum page. */
    private static final class Page
    {
        final ByteBuffer bytes = ByteBuffer.allocate(PAGE).order(ByteOrder.LITTLE_ENDIAN);
        boolean dirty;
    }

    private final PoolIo io;
    private final PartitionSpace space;
    private final LinkedHashMap<Long, Page> cache = new LinkedHashMap<>(256, 0.75f, true);

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
        for (int i = 0; i < count; )
        {
            final long slot = space.checksumOffset(offset);
            final long pageOffset = slot & ~(PAGE - 1L);
            final int firstSlot = (int)(slot - pageOffset) / CRC;
            // Slots of this page the run covers: up to the page end, the segment end and the count.
            final int n = (int)Math.min(Math.min(CRCS_PER_PAGE - firstSlot, count - i),
                space.contiguousBytes(offset) / PartitionSpace.BLOCK_BYTES);
            final Page page = page(pageOffset, firstSlot == 0 && n == CRCS_PER_PAGE);
            for (int k = 0; k < n; k++)
            {
                page.bytes.putInt((firstSlot + k) * CRC, crcs[from + i + k]);
            }
            page.dirty = true;
            i += n;
            offset += (long)n * PartitionSpace.BLOCK_BYTES;
        }
        evictIfFull();
    }

    /** Loads the CRCs of {@code count} blocks from block-aligned {@code dataOffset} into {@code out[from...]}. */
    void load(final long dataOffset, final int[] out, final int from, final int count) throws IOException
    {
        checkRange(dataOffset, count);
        long offset = dataOffset;
        for (int i = 0; i < count; )
        {
            final long slot = space.checksumOffset(offset);
            final long pageOffset = slot & ~(PAGE - 1L);
            final int firstSlot = (int)(slot - pageOffset) / CRC;
            final int n = (int)Math.min(Math.min(CRCS_PER_PAGE - firstSlot, count - i),
                space.contiguousBytes(offset) / PartitionSpace.BLOCK_BYTES);
            final Page page = page(pageOffset, false);
            for (int k = 0; k < n; k++)
            {
                out[from + i + k] = page.bytes.getInt((firstSlot + k) * CRC);
            }
            i += n;
            offset += (long)n * PartitionSpace.BLOCK_BYTES;
        }
        evictIfFull();
    }

    /** Writes every dirty page (adjacent ones in one I/O); durability is the caller's next device flush. */
    void flush() throws IOException
    {
        final List<Long> dirty = new ArrayList<>();
        for (final Map.Entry<Long, Page> e : cache.entrySet())
        {
            if (e.getValue().dirty)
            {
                dirty.add(e.getKey());
            }
        }
        dirty.sort(null);
        int i = 0;
        while (i < dirty.size())
        {
            int j = i + 1;
            while (j < dirty.size() && dirty.get(j) == dirty.get(j - 1) + PAGE && j - i < 256)
            {
                j++;
            }
            final ByteBuffer run = ByteBuffer.allocate((j - i) * PAGE);
            for (int k = i; k < j; k++)
            {
                final Page page = cache.get(dirty.get(k));
                run.put(page.bytes.array(), 0, PAGE);
                page.dirty = false;
            }
            io.write(dirty.get(i), run.flip());
            i = j;
        }
    }

    /** Dirty pages waiting for {@link #flush} (for tests and memory accounting). */
    int dirtyPages()
    {
        int n = 0;
        for (final Page page : cache.values())
        {
            n += page.dirty ? 1 : 0;
        }
        return n;
    }

    private Page page(final long pageOffset, final boolean wholePageOverwritten) throws IOException
    {
        Page page = cache.get(pageOffset);
        if (page == null)
        {
            page = new Page();
            if (!wholePageOverwritten)
            {
                io.read(pageOffset, page.bytes.clear());
            }
            cache.put(pageOffset, page);
        }
        return page;
    }

    private void evictIfFull() throws IOException
    {
        if (cache.size() <= MAX_CACHED_PAGES)
        {
            return;
        }
        // Least recently used first; dirty ones are written on the way out.
        final Iterator<Map.Entry<Long, Page>> it = cache.entrySet().iterator();
        while (cache.size() > MAX_CACHED_PAGES / 2 && it.hasNext())
        {
            final Map.Entry<Long, Page> e = it.next();
            if (e.getValue().dirty)
            {
                io.write(e.getKey(), e.getValue().bytes.clear());
            }
            it.remove();
        }
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
