package io.presync.btree;

import io.presync.RefusedException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.BitSet;
import java.util.zip.CRC32C;

import static io.presync.btree.PageDescriptor.CHECKSUM_OFFSET;
import static io.presync.btree.PageDescriptor.FREE_NEXT_OFFSET;
import static io.presync.btree.PageDescriptor.INT;
import static io.presync.btree.PageDescriptor.LONG;
import static io.presync.btree.PageDescriptor.META_FREE_COUNT_OFFSET;
import static io.presync.btree.PageDescriptor.META_FREE_HEAD_OFFSET;
import static io.presync.btree.PageDescriptor.META_MAGIC;
import static io.presync.btree.PageDescriptor.META_MAGIC_OFFSET;
import static io.presync.btree.PageDescriptor.META_NEXT_PAGE_OFFSET;
import static io.presync.btree.PageDescriptor.META_PAGE_BYTES_OFFSET;
import static io.presync.btree.PageDescriptor.META_REGION_LENGTH_OFFSET;
import static io.presync.btree.PageDescriptor.META_SLOTS;
import static io.presync.btree.PageDescriptor.META_SLOTS_OFFSET;
import static io.presync.btree.PageDescriptor.META_VERSION;
import static io.presync.btree.PageDescriptor.META_VERSION_OFFSET;
import static io.presync.btree.PageDescriptor.PAGE_ID_OFFSET;
import static io.presync.btree.PageDescriptor.TYPE_FREE;
import static io.presync.btree.PageDescriptor.TYPE_OFFSET;
import static io.presync.btree.PageDescriptor.TYPE_STORE_META;

/**
 * Pages stored in the region {@code [regionStartBytes, regionStartBytes + regionLengthBytes)} of a
 * file or block device: page id {@code n} lives at {@code regionStartBytes + n * 4096}, page 0 is the
 * store's meta page (layout in {@link PageDescriptor}), so a region of {@code P} pages holds
 * {@code P - 1} tree pages.
 *
 * <p>Every page read is kept in memory (there is no eviction yet: the pool's trees are small next to
 * its device, a 1 GiB region of pages would cost 1 GiB of memory). Changed pages stay dirty in memory
 * until {@link #flush()}, which stamps each with its page id and a CRC32C of bytes [4, 4096), writes
 * the dirty pages, then the meta page, then forces the channel. A page read back is verified and a
 * mismatch throws {@link CorruptPageException} naming the page and its offset. Freed pages form a
 * list chained through the pages themselves, so the free list costs no extra space.
 *
 * <p>Not crash-atomic: pages are overwritten in place, so a crash during {@code flush()} can leave a
 * mix of old and new pages (the CRC then detects torn pages, but not a consistent-but-mixed tree).
 * {@link #close()} discards what was not flushed. I/O goes through {@link FileChannel} positional
 * reads and writes; the pool will move it onto its io_uring {@code Ring} later. I/O failures inside
 * {@link #read} surface as {@link UncheckedIOException} since page reads happen under tree operations.
 * Single-threaded.
 */
public final class FileRegionPageStore implements PageStore
{
    private final Path path;
    private final FileChannel channel;
    private final long regionStartBytes;
    private final long regionLengthBytes;
    private final int pageCapacity;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment[] cache;
    private final PageRefCounts refCounts;
    private final BitSet dirty;
    private final MemorySegment meta;
    private final CRC32C crc = new CRC32C();
    private long nextPageId;
    private long freeHead;
    private long freeCount;
    private long pagesInUse;
    private long cachedPages;
    private boolean closed;

    private FileRegionPageStore(
        final Path path, final FileChannel channel, final long regionStartBytes, final long regionLengthBytes)
    {
        this.path = path;
        this.channel = channel;
        this.regionStartBytes = regionStartBytes;
        this.regionLengthBytes = regionLengthBytes;
        this.pageCapacity = (int)(regionLengthBytes / PAGE_BYTES);
        this.cache = new MemorySegment[pageCapacity];
        this.refCounts = new PageRefCounts(pageCapacity);
        this.dirty = new BitSet(pageCapacity);
        this.meta = arena.allocate(PAGE_BYTES, PAGE_BYTES);
    }

    /** Formats a new, empty store over the region (writes its meta page and forces it). */
    public static FileRegionPageStore create(final Path path, final long regionStartBytes, final long regionLengthBytes)
        throws IOException
    {
        checkRegion(path, regionStartBytes, regionLengthBytes);
        final FileRegionPageStore store = new FileRegionPageStore(
            path, openChannel(path), regionStartBytes, regionLengthBytes);
        try
        {
            store.meta.fill((byte)0);
            store.meta.set(PageDescriptor.BYTE, TYPE_OFFSET, TYPE_STORE_META);
            store.meta.set(LONG, META_MAGIC_OFFSET, META_MAGIC);
            store.meta.set(INT, META_PAGE_BYTES_OFFSET, PAGE_BYTES);
            store.meta.set(INT, META_VERSION_OFFSET, META_VERSION);
            store.meta.set(LONG, META_REGION_LENGTH_OFFSET, regionLengthBytes);
            store.nextPageId = 1;
            store.flush();
            return store;
        }
        catch (final IOException | RuntimeException ex)
        {
            store.close();
            throw ex;
        }
    }

    /**
     * Opens a store formatted by {@link #create} on the same region.
     *
     * @throws RefusedException when the region holds no page store or one of another length.
     * @throws CorruptPageException when the meta page fails its CRC.
     */
    public static FileRegionPageStore open(final Path path, final long regionStartBytes, final long regionLengthBytes)
        throws IOException
    {
        checkRegion(path, regionStartBytes, regionLengthBytes);
        final FileRegionPageStore store = new FileRegionPageStore(
            path, openChannel(path), regionStartBytes, regionLengthBytes);
        try
        {
            store.readPage(0, store.meta);
            if (store.meta.get(LONG, META_MAGIC_OFFSET) != META_MAGIC)
            {
                throw new RefusedException("no B-tree page store at " + path + " offset " + regionStartBytes +
                    "; create one there first");
            }
            store.verify(0, store.meta);
            if (store.meta.get(INT, META_PAGE_BYTES_OFFSET) != PAGE_BYTES ||
                store.meta.get(INT, META_VERSION_OFFSET) != META_VERSION ||
                store.meta.get(LONG, META_REGION_LENGTH_OFFSET) != regionLengthBytes)
            {
                throw new RefusedException("the page store at " + path + " offset " + regionStartBytes +
                    " was made for a region of " + store.meta.get(LONG, META_REGION_LENGTH_OFFSET) +
                    " bytes (format " + store.meta.get(INT, META_VERSION_OFFSET) + "); open it with that length");
            }
            store.nextPageId = store.meta.get(LONG, META_NEXT_PAGE_OFFSET);
            store.freeHead = store.meta.get(LONG, META_FREE_HEAD_OFFSET);
            store.freeCount = store.meta.get(LONG, META_FREE_COUNT_OFFSET);
            store.pagesInUse = store.nextPageId - 1 - store.freeCount;
            return store;
        }
        catch (final IOException | RuntimeException ex)
        {
            store.close();
            throw ex;
        }
    }

    private static void checkRegion(final Path path, final long regionStartBytes, final long regionLengthBytes)
        throws RefusedException
    {
        if (regionStartBytes < 0 || regionStartBytes % PAGE_BYTES != 0 || regionLengthBytes % PAGE_BYTES != 0 ||
            regionLengthBytes < 2L * PAGE_BYTES || regionLengthBytes / PAGE_BYTES > Integer.MAX_VALUE)
        {
            throw new RefusedException("page store region at offset " + regionStartBytes + " of " + regionLengthBytes +
                " bytes on " + path + " is invalid; use 4 KiB-aligned offsets and a length of at least two pages");
        }
    }

    private static FileChannel openChannel(final Path path) throws IOException
    {
        try
        {
            return FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        }
        catch (final IOException ex)
        {
            throw new IOException("open " + path + " for reading and writing failed: " + ex.getMessage(), ex);
        }
    }

    /** Caller slot {@code slot} (0..7) of the meta page, e.g. a tree's root page id; persisted by flush. */
    public long metaLong(final int slot)
    {
        return meta.get(LONG, META_SLOTS_OFFSET + (long)checkSlot(slot) * Long.BYTES);
    }

    /** Sets caller slot {@code slot} (0..7); written by the next {@link #flush()}. */
    public void metaLong(final int slot, final long value)
    {
        meta.set(LONG, META_SLOTS_OFFSET + (long)checkSlot(slot) * Long.BYTES, value);
    }

    private static int checkSlot(final int slot)
    {
        if (slot < 0 || slot >= META_SLOTS)
        {
            throw new IndexOutOfBoundsException("meta slot " + slot + " of " + META_SLOTS);
        }
        return slot;
    }

    /** Byte offset of a page on the file or device. */
    public long offsetOf(final long pageId)
    {
        return regionStartBytes + pageId * PAGE_BYTES;
    }

    /** Pages the region can hold, the meta page included. */
    public long pageCapacity()
    {
        return pageCapacity;
    }

    @Override
    public long allocate()
    {
        final long pageId;
        if (freeHead != NO_PAGE)
        {
            pageId = freeHead;
            final MemorySegment page = read(pageId);
            if (page.get(PageDescriptor.BYTE, TYPE_OFFSET) != TYPE_FREE)
            {
                throw new CorruptPageException("page " + pageId + " at offset " + offsetOf(pageId) + " of " + path +
                    " is on the free list but is not a free page", pageId, offsetOf(pageId));
            }
            freeHead = page.get(LONG, FREE_NEXT_OFFSET);
            freeCount--;
        }
        else
        {
            if (nextPageId >= pageCapacity)
            {
                throw new PageStoreFullException("the page store region of " + regionLengthBytes + " bytes at offset " +
                    regionStartBytes + " of " + path + " is full; give it a larger region");
            }
            pageId = nextPageId++;
            final MemorySegment page = arena.allocate(PAGE_BYTES, PAGE_BYTES);
            cache[(int)pageId] = page;
            cachedPages++;
        }
        refCounts.allocated((int)pageId);
        pagesInUse++;
        return pageId;
    }

    @Override
    public void free(final long pageId)
    {
        if (BTree.CHECKS && (pageId <= 0 || pageId >= nextPageId || refCounts.isFree((int)pageId)))
        {
            throw new IllegalStateException("page " + pageId + " is not allocated");
        }
        final MemorySegment page = write(pageId);
        page.set(PageDescriptor.BYTE, TYPE_OFFSET, TYPE_FREE);
        page.set(LONG, FREE_NEXT_OFFSET, freeHead);
        freeHead = pageId;
        freeCount++;
        refCounts.freed((int)pageId);
        pagesInUse--;
    }

    @Override
    public MemorySegment read(final long pageId)
    {
        final MemorySegment page = cache[(int)pageId];
        return page != null ? page : load(pageId);
    }

    @Override
    public MemorySegment write(final long pageId)
    {
        final MemorySegment page = read(pageId);
        dirty.set((int)pageId);
        return page;
    }

    @Override
    public long readAddress(final long pageId)
    {
        return read(pageId).address();
    }

    @Override
    public long writeAddress(final long pageId)
    {
        return write(pageId).address();
    }

    private MemorySegment load(final long pageId)
    {
        if (closed)
        {
            throw new IllegalStateException("page store on " + path + " is closed");
        }
        if (pageId <= 0 || pageId >= nextPageId)
        {
            throw new IllegalArgumentException("page " + pageId + " was never allocated in the store on " + path);
        }
        final MemorySegment page = arena.allocate(PAGE_BYTES, PAGE_BYTES);
        try
        {
            readPage(pageId, page);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        verify(pageId, page);
        cache[(int)pageId] = page;
        cachedPages++;
        return page;
    }

    private void readPage(final long pageId, final MemorySegment page) throws IOException
    {
        final ByteBuffer buffer = page.asByteBuffer();
        final long offset = offsetOf(pageId);
        while (buffer.hasRemaining())
        {
            final int read;
            try
            {
                read = channel.read(buffer, offset + buffer.position());
            }
            catch (final IOException ex)
            {
                throw new IOException("pread of page " + pageId + " at offset " + offset + " of " + path +
                    " failed: " + ex.getMessage(), ex);
            }
            if (read < 0)
            {
                throw new IOException("pread of page " + pageId + " at offset " + offset + " of " + path +
                    " hit the end of the file");
            }
        }
    }

    private int checksum(final MemorySegment page)
    {
        crc.reset();
        crc.update(page.asSlice(CHECKSUM_OFFSET + Integer.BYTES).asByteBuffer());
        return (int)crc.getValue();
    }

    private void verify(final long pageId, final MemorySegment page)
    {
        final int stored = page.get(INT, CHECKSUM_OFFSET);
        final int computed = checksum(page);
        if (stored != computed)
        {
            throw new CorruptPageException(String.format(
                "page %d at offset %d of %s fails its CRC32C (stored %08x, computed %08x)",
                pageId, offsetOf(pageId), path, stored, computed), pageId, offsetOf(pageId));
        }
        if (page.get(LONG, PAGE_ID_OFFSET) != pageId)
        {
            throw new CorruptPageException("page " + pageId + " at offset " + offsetOf(pageId) + " of " + path +
                " carries page id " + page.get(LONG, PAGE_ID_OFFSET) + " (a misdirected write)", pageId,
                offsetOf(pageId));
        }
    }

    @Override
    public int refCount(final long pageId)
    {
        return refCounts.refCount((int)pageId);
    }

    @Override
    public void retain(final long pageId)
    {
        refCounts.retain((int)pageId);
    }

    @Override
    public int release(final long pageId)
    {
        return refCounts.release((int)pageId);
    }

    @Override
    public long pagesInUse()
    {
        return pagesInUse;
    }

    @Override
    public long freePages()
    {
        return freeCount;
    }

    @Override
    public long reservedBytes()
    {
        return (cachedPages + 1) * PAGE_BYTES;
    }

    /** Writes every dirty page, then the meta page, then forces the file or device. */
    @Override
    public void flush() throws IOException
    {
        for (int id = dirty.nextSetBit(0); id >= 0; id = dirty.nextSetBit(id + 1))
        {
            writePage(id, cache[id]);
        }
        dirty.clear();
        meta.set(LONG, META_NEXT_PAGE_OFFSET, nextPageId);
        meta.set(LONG, META_FREE_HEAD_OFFSET, freeHead);
        meta.set(LONG, META_FREE_COUNT_OFFSET, freeCount);
        writePage(0, meta);
        try
        {
            channel.force(true);
        }
        catch (final IOException ex)
        {
            throw new IOException("fsync of " + path + " failed: " + ex.getMessage(), ex);
        }
    }

    private void writePage(final long pageId, final MemorySegment page) throws IOException
    {
        page.set(LONG, PAGE_ID_OFFSET, pageId);
        page.set(INT, CHECKSUM_OFFSET, checksum(page));
        final ByteBuffer buffer = page.asByteBuffer();
        final long offset = offsetOf(pageId);
        while (buffer.hasRemaining())
        {
            try
            {
                channel.write(buffer, offset + buffer.position());
            }
            catch (final IOException ex)
            {
                throw new IOException("pwrite of page " + pageId + " at offset " + offset + " of " + path +
                    " failed: " + ex.getMessage(), ex);
            }
        }
    }

    /** Closes the file and frees the cache, discarding changes not flushed; idempotent. */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            try
            {
                channel.close();
            }
            catch (final IOException ex)
            {
                // Nothing was pending on the channel: flush() forced everything that matters.
            }
            // Raw page addresses must not outlive the arena: later reads fail in load() instead.
            java.util.Arrays.fill(cache, null);
            arena.close();
        }
    }
}
