package io.presync.btree;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Pages in native memory: 1 MiB slabs allocated from a shared {@link Arena} and carved into 256
 * pages of 4 KiB, page-aligned. Page id {@code n} lives in slab {@code n >>> 8} at offset
 * {@code (n & 255) * 4096}; id 0 is reserved (its slot is never handed out).
 *
 * <p>Freed pages go on a LIFO free list and are reused before a new slab is allocated; slabs are
 * returned to the system only by {@link #close()}. Overhead beyond the pages themselves: one cached
 * page {@link MemorySegment} view (about 40 bytes) and one int reference count per page, that is about
 * 1.1% of the page bytes, plus the unused tail of the last slab.
 */
public final class MemoryPageStore implements PageStore
{
    static final int SLAB_BYTES = 1 << 20;
    static final int PAGES_PER_SLAB_SHIFT = 8;
    static final int PAGES_PER_SLAB = 1 << PAGES_PER_SLAB_SHIFT;

    private final Arena arena = Arena.ofShared();
    private MemorySegment[] pages = new MemorySegment[0];
    private long[] addresses = new long[0];
    private final PageRefCounts refCounts = new PageRefCounts(0);
    private long[] freeList = new long[64];
    private int freeCount;
    private long nextPageId = 1;
    private long pagesInUse;
    private int slabCount;
    private boolean closed;

    public MemoryPageStore()
    {
    }

    @Override
    public long allocate()
    {
        final long pageId;
        if (freeCount > 0)
        {
            pageId = freeList[--freeCount];
        }
        else
        {
            if (nextPageId >= pages.length)
            {
                addSlab();
            }
            pageId = nextPageId++;
        }
        refCounts.allocated((int)pageId);
        pagesInUse++;
        return pageId;
    }

    private void addSlab()
    {
        if (closed)
        {
            throw new IllegalStateException("page store is closed");
        }
        final MemorySegment slab = arena.allocate(SLAB_BYTES, PAGE_BYTES);
        final int first = slabCount << PAGES_PER_SLAB_SHIFT;
        final int newLength = first + PAGES_PER_SLAB;
        pages = Arrays.copyOf(pages, newLength);
        addresses = Arrays.copyOf(addresses, newLength);
        refCounts.grow(newLength);
        for (int i = 0; i < PAGES_PER_SLAB; i++)
        {
            pages[first + i] = slab.asSlice((long)i * PAGE_BYTES, PAGE_BYTES);
            addresses[first + i] = pages[first + i].address();
        }
        slabCount++;
    }

    @Override
    public void free(final long pageId)
    {
        if (BTree.CHECKS)
        {
            checkAllocated(pageId);
        }
        if (freeCount == freeList.length)
        {
            freeList = Arrays.copyOf(freeList, freeCount * 2);
        }
        freeList[freeCount++] = pageId;
        refCounts.freed((int)pageId);
        pagesInUse--;
    }

    private void checkAllocated(final long pageId)
    {
        if (pageId <= 0 || pageId >= nextPageId || refCounts.isFree((int)pageId))
        {
            throw new IllegalStateException("page " + pageId + " is not allocated");
        }
    }

    @Override
    public MemorySegment read(final long pageId)
    {
        return pages[(int)pageId];
    }

    @Override
    public MemorySegment write(final long pageId)
    {
        return pages[(int)pageId];
    }

    @Override
    public long readAddress(final long pageId)
    {
        return addresses[(int)pageId];
    }

    @Override
    public long writeAddress(final long pageId)
    {
        return addresses[(int)pageId];
    }

    @Override
    public int refCount(final long pageId)
    {
        return refCounts.refCount((int)pageId);
    }

    @Override
    public void retain(final long pageId)
    {
        if (BTree.CHECKS)
        {
            checkAllocated(pageId);
        }
        refCounts.retain((int)pageId);
    }

    @Override
    public int release(final long pageId)
    {
        if (BTree.CHECKS)
        {
            checkAllocated(pageId);
        }
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
        return (long)slabCount * SLAB_BYTES;
    }

    @Override
    public void flush()
    {
    }

    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            pages = new MemorySegment[0];
            addresses = new long[0];
            arena.close();
        }
    }
}
