package io.presync.btree;

import java.util.Arrays;

/**
 * The per-page reference counts behind {@link PageStore#refCount}, {@link PageStore#retain} and
 * {@link PageStore#release}, shared by every store so the copy-on-write counting rules live in one
 * place. Indexed by whatever the store addresses its pages with (a page id or a cache slot).
 *
 * <p>Each entry holds the count minus one, so a zero-filled array means "every page counts 1": that
 * is what a reopened store needs (counts are not persistent) and what a new page starts with. A freed
 * page holds -1, which lets a store check that a page is allocated without another array.
 * Not thread-safe, like the stores.
 */
final class PageRefCounts
{
    private int[] extraRefs;

    PageRefCounts(final int capacity)
    {
        extraRefs = new int[capacity];
    }

    /** Grows to {@code length} entries (a store adding a slab); the new pages count 1. */
    void grow(final int length)
    {
        extraRefs = Arrays.copyOf(extraRefs, length);
    }

    /** A page handed out by {@code allocate}: count 1. */
    void allocated(final int index)
    {
        extraRefs[index] = 0;
    }

    /** A page given back by {@code free}. */
    void freed(final int index)
    {
        extraRefs[index] = -1;
    }

    /** Whether the page was freed and not handed out again. */
    boolean isFree(final int index)
    {
        return extraRefs[index] < 0;
    }

    int refCount(final int index)
    {
        return extraRefs[index] + 1;
    }

    void retain(final int index)
    {
        extraRefs[index]++;
    }

    /** Drops one reference unless the page is at its last one; returns the count left. */
    int release(final int index)
    {
        final int extra = extraRefs[index];
        if (extra > 0)
        {
            extraRefs[index] = extra - 1;
        }
        return extra;
    }
}
