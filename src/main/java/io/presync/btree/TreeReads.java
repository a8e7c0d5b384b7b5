package io.presync.btree;

import java.lang.foreign.MemorySegment;

import static io.presync.btree.PageDescriptor.LONG;
import static io.presync.btree.PageDescriptor.MEMORY;
import static io.presync.btree.PageDescriptor.child;
import static io.presync.btree.PageDescriptor.count;
import static io.presync.btree.PageDescriptor.key;
import static io.presync.btree.PageDescriptor.level;
import static io.presync.btree.PageDescriptor.lowerBound;
import static io.presync.btree.PageDescriptor.upperBound;

/** Read-only searches shared by the live tree and its snapshots; every method allocates nothing. */
final class TreeReads
{
    private TreeReads()
    {
    }

    static long findLeaf(final PageStore store, final long root, final long key)
    {
        long page = store.readAddress(root);
        while (level(page) > 0)
        {
            page = store.readAddress(child(page, upperBound(page, count(page), key)));
        }
        return page;
    }

    static boolean get(
        final PageStore store, final long root, final int valuesOffset, final int valueLongs,
        final long key, final long[] valueOut)
    {
        // Carries the separators around the path so that each page's search interpolates between
        // bounds already in cache (see PageDescriptor.lowerBound with bounds).
        long page = store.readAddress(root);
        long low = Long.MIN_VALUE;
        long high = Long.MIN_VALUE;
        boolean bounded = false;
        while (level(page) > 0)
        {
            final int count = count(page);
            final int index = bounded ? upperBoundWithin(page, count, key, low, high) : upperBound(page, count, key);
            if (index > 0 && index < count)
            {
                low = key(page, index - 1);
                high = key(page, index);
                bounded = true;
            }
            else if (bounded)
            {
                if (index > 0)
                {
                    low = key(page, index - 1);
                }
                else if (count > 0)
                {
                    high = key(page, 0);
                }
            }
            page = store.readAddress(child(page, index));
        }
        final long leaf = page;
        final int count = count(leaf);
        final int index = bounded ? PageDescriptor.lowerBound(leaf, count, key, low, high) : lowerBound(leaf, count, key);
        if (index == count || key(leaf, index) != key)
        {
            return false;
        }
        final long offset = valuesOffset + ((long)index * valueLongs << 3);
        for (int i = 0; i < valueLongs; i++)
        {
            valueOut[i] = MEMORY.get(LONG, leaf + offset + ((long)i << 3));
        }
        return true;
    }

    private static int upperBoundWithin(final long page, final int count, final long key, final long low, final long high)
    {
        return key == Long.MAX_VALUE ? count : PageDescriptor.lowerBound(page, count, key + 1, low, high);
    }

    static boolean containsKey(final PageStore store, final long root, final long key)
    {
        final long leaf = findLeaf(store, root, key);
        final int count = count(leaf);
        final int index = lowerBound(leaf, count, key);
        return index < count && key(leaf, index) == key;
    }

    /** Greatest key {@code <= key}, or {@link BTree#NO_KEY}. */
    static long floorKey(final PageStore store, final long root, final long key)
    {
        long alternative = PageStore.NO_PAGE;
        long page = store.readAddress(root);
        while (level(page) > 0)
        {
            final int index = upperBound(page, count(page), key);
            if (index > 0)
            {
                // The closest subtree left of the path: its maximum is the answer if this path has none.
                alternative = child(page, index - 1);
            }
            page = store.readAddress(child(page, index));
        }
        final int index = upperBound(page, count(page), key);
        if (index > 0)
        {
            return key(page, index - 1);
        }
        if (alternative == PageStore.NO_PAGE)
        {
            return BTree.NO_KEY;
        }
        page = store.readAddress(alternative);
        while (level(page) > 0)
        {
            page = store.readAddress(child(page, count(page)));
        }
        return key(page, count(page) - 1);
    }

    /** Least key {@code >= key}, or {@link BTree#NO_KEY}. */
    static long ceilingKey(final PageStore store, final long root, final long key)
    {
        long alternative = PageStore.NO_PAGE;
        long page = store.readAddress(root);
        while (level(page) > 0)
        {
            final int count = count(page);
            final int index = upperBound(page, count, key);
            if (index < count)
            {
                alternative = child(page, index + 1);
            }
            page = store.readAddress(child(page, index));
        }
        final int count = count(page);
        final int index = lowerBound(page, count, key);
        if (index < count)
        {
            return key(page, index);
        }
        if (alternative == PageStore.NO_PAGE)
        {
            return BTree.NO_KEY;
        }
        page = store.readAddress(alternative);
        while (level(page) > 0)
        {
            page = store.readAddress(child(page, 0));
        }
        return key(page, 0);
    }

    static long lowerKey(final PageStore store, final long root, final long key)
    {
        return key == Long.MIN_VALUE || key == Long.MIN_VALUE + 1 ? BTree.NO_KEY : floorKey(store, root, key - 1);
    }

    static long higherKey(final PageStore store, final long root, final long key)
    {
        return key == Long.MAX_VALUE ? BTree.NO_KEY : ceilingKey(store, root, key + 1);
    }

    /** Drops one reference to a subtree, freeing every page whose count reaches zero. */
    static void releaseTree(final PageStore store, final long pageId)
    {
        if (store.release(pageId) > 0)
        {
            return;
        }
        final long page = store.readAddress(pageId);
        if (level(page) > 0)
        {
            final int count = count(page);
            for (int i = 0; i <= count; i++)
            {
                releaseTree(store, child(page, i));
            }
        }
        store.free(pageId);
    }

    /** Pages reachable from a root (shared pages counted once per path, as the tree sees them). */
    static long countPages(final PageStore store, final long pageId)
    {
        final long page = store.readAddress(pageId);
        final int level = level(page);
        if (level == 0)
        {
            return 1;
        }
        final int count = count(page);
        if (level == 1)
        {
            return 1 + count + 1;
        }
        long pages = 1;
        for (int i = 0; i <= count; i++)
        {
            pages += countPages(store, child(page, i));
        }
        return pages;
    }
}
