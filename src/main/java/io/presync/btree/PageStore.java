package io.presync.btree;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * Fixed-size 4 KiB pages addressed by a page id, with a reference count per page for copy-on-write
 * sharing between a tree and its snapshots.
 *
 * <p>Page id 0 is never handed out (it means "no page"). {@link #read} and {@link #write} return a
 * segment of exactly {@link #PAGE_BYTES} bytes that stays valid until the page is freed or the store
 * is closed; they allocate nothing once the page is resident. {@link #write} additionally marks the
 * page dirty, so a store with a backing medium writes it out at the next {@link #flush()}; callers
 * must obtain a page through {@code write} before changing it.
 *
 * <p>Reference counts: {@link #allocate()} returns a page with count 1. A tree path-copies a page
 * before changing it when its count is above 1. The counts live in memory only: after reopening a
 * stored region every allocated page counts 1 again (snapshots are not persistent).
 *
 * <p>Not thread-safe: one thread uses a store and the trees in it (see {@link BTree}).
 */
public interface PageStore extends AutoCloseable
{
    /** Bytes in one page. */
    int PAGE_BYTES = 4096;

    /** Sentinel page id for "no page". */
    long NO_PAGE = 0L;

    /**
     * A new page with reference count 1; its contents are unspecified.
     *
     * @throws PageStoreFullException when a bounded store has no page left.
     */
    long allocate();

    /** Returns a page whose reference count has dropped to zero to the free list. */
    void free(long pageId);

    /** The page's bytes for reading. */
    MemorySegment read(long pageId);

    /** The page's bytes for changing: marks the page dirty. */
    MemorySegment write(long pageId);

    /**
     * Raw native address of the page for reading: what the tree's hot paths use instead of
     * {@link #read} (no segment checks). Valid exactly as long as the segment {@code read} returns.
     */
    long readAddress(long pageId);

    /** Raw native address of the page for changing: marks the page dirty like {@link #write}. */
    long writeAddress(long pageId);

    /** Current reference count of an allocated page (at least 1). */
    int refCount(long pageId);

    /** Adds one reference to a page. */
    void retain(long pageId);

    /**
     * Drops one reference; returns the count left. At zero the page is NOT freed: the caller first
     * releases what the page references, then calls {@link #free}.
     */
    int release(long pageId);

    /** Pages currently allocated (handed out and not freed). */
    long pagesInUse();

    /** Pages on the free list (reusable without growing the store). */
    long freePages();

    /** Bytes the store holds from the system (memory slabs or cached pages), including free pages. */
    long reservedBytes();

    /** Writes every dirty page and makes it durable; a no-op for memory stores. */
    void flush() throws IOException;

    /** Releases everything the store holds; idempotent. Segments handed out become invalid. */
    @Override
    void close();
}
