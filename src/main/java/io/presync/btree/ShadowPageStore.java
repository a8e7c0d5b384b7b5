package io.presync.btree;

import org.agrona.collections.Long2LongHashMap;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.zip.CRC32C;

import static io.presync.btree.PageDescriptor.CHECKSUM_OFFSET;
import static io.presync.btree.PageDescriptor.INT;
import static io.presync.btree.PageDescriptor.LONG;
import static io.presync.btree.PageDescriptor.MEMORY;
import static io.presync.btree.PageDescriptor.PAGE_ID_OFFSET;

/**
 * A page store for a crash-safe, copy-on-write (shadowing) tree on a medium whose space another
 * allocator owns: the page id <em>is</em> the page's location on the medium ({@link Medium} hands out
 * and takes back locations), so a branch's child pointers are valid on disk as they are in memory.
 * Every page of the tree is resident (loaded once by {@link #loadTree}); {@link #flush()} stamps each
 * dirty page with its page id and a CRC32C of bytes [4, 4096) (the {@link PageDescriptor} header) and
 * writes it to its location; the caller makes it durable.
 *
 * <p><b>Shadowing.</b> The caller keeps a {@link BTree#snapshot()} of the last committed tree open.
 * Its pages then have a count above one or hang below a shared page, so the live tree path-copies
 * before every change: a change never writes a location the committed tree uses, and a page the
 * committed tree uses is never freed while its snapshot is open. After the next commit is durable the
 * caller takes a new snapshot and closes the old one, which frees (through {@link Medium#freePage})
 * exactly the pages only the old commit still used. Pages the live tree frees before that were
 * allocated after the last commit, so their locations may be reused at once. The store keeps no free
 * list on the medium: the owner rebuilds its free space on open from the pages reachable from the
 * committed root.
 *
 * <p>Page lookups go through a primitive hash map and allocate nothing; memory is one 4 KiB page per
 * tree page plus about 40 bytes. Not thread-safe.
 */
public final class ShadowPageStore implements PageStore
{
    /** Where the pages live: locations are page ids (never {@link PageStore#NO_PAGE}). */
    public interface Medium
    {
        /** A free location for a new page, or {@link PageStore#NO_PAGE} when the medium is full. */
        long allocatePage();

        /** Gives a page's location back. */
        void freePage(long pageId);

        /** Reads the 4 KiB page at a location into {@code page}. */
        void readPage(long pageId, MemorySegment page) throws IOException;

        /** Writes {@code page} (4 KiB) to a location. */
        void writePage(long pageId, MemorySegment page) throws IOException;

        /** Names the medium in errors. */
        String describe(long pageId);
    }

    private static final int SLAB_PAGES = 256;
    private static final long MISSING = -1;

    private final Medium medium;
    private final Arena arena = Arena.ofShared();
    private final Long2LongHashMap slots = new Long2LongHashMap(MISSING);
    private final CRC32C crc = new CRC32C();
    private MemorySegment[] pages = new MemorySegment[0];
    private long[] addresses = new long[0];
    private long[] pageIds = new long[0];
    private final PageRefCounts refCounts = new PageRefCounts(0);
    private boolean[] dirty = new boolean[0];
    private int[] dirtySlots = new int[64];
    private int dirtyCount;
    private int[] freeSlots = new int[64];
    private int freeSlotCount;
    private int nextSlot;
    private long pagesInUse;
    private boolean closed;

    public ShadowPageStore(final Medium medium)
    {
        this.medium = medium;
    }

    /**
     * Loads every page reachable from {@code rootPageId} from the medium (checking each page's CRC32C
     * and page id) and reports each page id to {@code visitor}, so the owner can mark its locations
     * used. Call once, before {@link BTree#open}.
     *
     * @throws CorruptPageException when a page fails its checks.
     */
    public void loadTree(final long rootPageId, final java.util.function.LongConsumer visitor) throws IOException
    {
        final long page = load(rootPageId);
        visitor.accept(rootPageId);
        final int level = PageDescriptor.level(page);
        final byte type = PageDescriptor.type(page);
        if ((level == 0) != (type == PageDescriptor.TYPE_LEAF) || (type != PageDescriptor.TYPE_LEAF && type != PageDescriptor.TYPE_BRANCH))
        {
            throw new CorruptPageException("page " + rootPageId + " (" + medium.describe(rootPageId) + ") is not a tree page",
                rootPageId, -1);
        }
        if (level > 0)
        {
            final int count = PageDescriptor.count(page);
            if (count < 0 || count > PageDescriptor.BRANCH_KEY_CAPACITY)
            {
                throw new CorruptPageException("branch page " + rootPageId + " (" + medium.describe(rootPageId) + ") has " + count +
                    " keys", rootPageId, -1);
            }
            for (int i = 0; i <= count; i++)
            {
                final long child = PageDescriptor.child(page, i);
                if (slots.get(child) != MISSING)
                {
                    throw new CorruptPageException("page " + child + " (" + medium.describe(child) + ") is referenced twice",
                        child, -1);
                }
                loadTree(child, visitor);
                if (PageDescriptor.level(addresses[(int)slots.get(child)]) != level - 1)
                {
                    throw new CorruptPageException("page " + child + " (" + medium.describe(child) + ") is at the wrong level",
                        child, -1);
                }
            }
        }
    }

    private long load(final long pageId) throws IOException
    {
        final int slot = newSlot(pageId);
        medium.readPage(pageId, pages[slot]);
        final long address = addresses[slot];
        crc.reset();
        crc.update(pages[slot].asSlice(CHECKSUM_OFFSET + Integer.BYTES).asByteBuffer());
        if (MEMORY.get(INT, address + CHECKSUM_OFFSET) != (int)crc.getValue())
        {
            throw new CorruptPageException("tree page " + pageId + " (" + medium.describe(pageId) + ") fails its CRC32C", pageId, -1);
        }
        if (MEMORY.get(LONG, address + PAGE_ID_OFFSET) != pageId)
        {
            throw new CorruptPageException("tree page " + pageId + " (" + medium.describe(pageId) + ") carries page id " +
                MEMORY.get(LONG, address + PAGE_ID_OFFSET), pageId, -1);
        }
        return address;
    }

    private int newSlot(final long pageId)
    {
        if (closed)
        {
            throw new IllegalStateException("page store is closed");
        }
        final int slot;
        if (freeSlotCount > 0)
        {
            slot = freeSlots[--freeSlotCount];
        }
        else
        {
            if (nextSlot == pages.length)
            {
                addSlab();
            }
            slot = nextSlot++;
        }
        slots.put(pageId, slot);
        pageIds[slot] = pageId;
        refCounts.allocated(slot);
        dirty[slot] = false;
        pagesInUse++;
        return slot;
    }

    private void addSlab()
    {
        final MemorySegment slab = arena.allocate((long)SLAB_PAGES * PAGE_BYTES, PAGE_BYTES);
        final int first = pages.length;
        final int length = first + SLAB_PAGES;
        pages = Arrays.copyOf(pages, length);
        addresses = Arrays.copyOf(addresses, length);
        pageIds = Arrays.copyOf(pageIds, length);
        refCounts.grow(length);
        dirty = Arrays.copyOf(dirty, length);
        for (int i = 0; i < SLAB_PAGES; i++)
        {
            pages[first + i] = slab.asSlice((long)i * PAGE_BYTES, PAGE_BYTES);
            addresses[first + i] = pages[first + i].address();
        }
    }

    private int slot(final long pageId)
    {
        final long slot = slots.get(pageId);
        if (slot == MISSING)
        {
            throw new IllegalStateException("page " + pageId + " is not in the store");
        }
        return (int)slot;
    }

    private void markDirty(final int slot)
    {
        if (!dirty[slot])
        {
            dirty[slot] = true;
            if (dirtyCount == dirtySlots.length)
            {
                dirtySlots = Arrays.copyOf(dirtySlots, dirtyCount * 2);
            }
            dirtySlots[dirtyCount++] = slot;
        }
    }

    @Override
    public long allocate()
    {
        final long pageId = medium.allocatePage();
        if (pageId == NO_PAGE)
        {
            throw new PageStoreFullException("no free space left for a tree page");
        }
        final int slot = newSlot(pageId);
        markDirty(slot);
        return pageId;
    }

    @Override
    public void free(final long pageId)
    {
        final int slot = slot(pageId);
        slots.remove(pageId);
        // A dirty slot stays in dirtySlots; flush skips slots whose page id no longer maps to them.
        dirty[slot] = false;
        refCounts.freed(slot);
        if (freeSlotCount == freeSlots.length)
        {
            freeSlots = Arrays.copyOf(freeSlots, freeSlotCount * 2);
        }
        freeSlots[freeSlotCount++] = slot;
        pagesInUse--;
        medium.freePage(pageId);
    }

    @Override
    public MemorySegment read(final long pageId)
    {
        return pages[slot(pageId)];
    }

    @Override
    public MemorySegment write(final long pageId)
    {
        final int slot = slot(pageId);
        markDirty(slot);
        return pages[slot];
    }

    @Override
    public long readAddress(final long pageId)
    {
        return addresses[slot(pageId)];
    }

    @Override
    public long writeAddress(final long pageId)
    {
        final int slot = slot(pageId);
        markDirty(slot);
        return addresses[slot];
    }

    @Override
    public int refCount(final long pageId)
    {
        return refCounts.refCount(slot(pageId));
    }

    @Override
    public void retain(final long pageId)
    {
        refCounts.retain(slot(pageId));
    }

    @Override
    public int release(final long pageId)
    {
        return refCounts.release(slot(pageId));
    }

    @Override
    public long pagesInUse()
    {
        return pagesInUse;
    }

    @Override
    public long freePages()
    {
        return 0;
    }

    @Override
    public long reservedBytes()
    {
        return (long)pages.length * PAGE_BYTES;
    }

    /** Pages changed since the last {@link #flush()}. */
    public int dirtyPages()
    {
        int n = 0;
        for (int i = 0; i < dirtyCount; i++)
        {
            n += dirty[dirtySlots[i]] ? 1 : 0;
        }
        return n;
    }

    /**
     * Writes every dirty page to its location (stamped with its page id and CRC32C). Durability is the
     * caller's next device flush.
     *
     * @throws UncheckedIOException wrapping a write failure (the interface's flush throws IOException
     *         too; both are possible).
     */
    @Override
    public void flush() throws IOException
    {
        for (int i = 0; i < dirtyCount; i++)
        {
            final int slot = dirtySlots[i];
            if (!dirty[slot])
            {
                continue;
            }
            final long address = addresses[slot];
            MEMORY.set(LONG, address + PAGE_ID_OFFSET, pageIds[slot]);
            crc.reset();
            crc.update(pages[slot].asSlice(CHECKSUM_OFFSET + Integer.BYTES).asByteBuffer());
            MEMORY.set(INT, address + CHECKSUM_OFFSET, (int)crc.getValue());
            medium.writePage(pageIds[slot], pages[slot]);
            dirty[slot] = false;
        }
        dirtyCount = 0;
    }

    /** Reports every resident page id (the live tree's and its snapshots'): consistency checks. */
    public void forEachPage(final java.util.function.LongConsumer consumer)
    {
        slots.forEachLong((pageId, slot) -> consumer.accept(pageId));
    }

    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            slots.clear();
            pages = new MemorySegment[0];
            addresses = new long[0];
            arena.close();
        }
    }
}
