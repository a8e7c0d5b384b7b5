package io.presync.btree;

import java.lang.foreign.MemorySegment;
import java.util.ConcurrentModificationException;

import static io.presync.btree.PageDescriptor.LONG;
import static io.presync.btree.PageDescriptor.MEMORY;
import static io.presync.btree.PageDescriptor.child;
import static io.presync.btree.PageDescriptor.count;
import static io.presync.btree.PageDescriptor.level;
import static io.presync.btree.PageDescriptor.lowerBound;
import static io.presync.btree.PageDescriptor.upperBound;

/**
 * A root-to-leaf stack of (page, child index): leaves have no sibling links because copy-on-write
 * would have to copy every sibling chain, as in LMDB.
 */
final class TreeCursor implements Cursor
{
    /** Enough for any tree: even nodes of three keys (tests) reach 32 levels only past 2^32 entries. */
    private static final int MAX_LEVELS = 32;

    private final PageStore store;
    private final BTree live;
    private final int valuesOffset;
    private final int valueLongs;
    private final long[] branchIds = new long[MAX_LEVELS];
    private final int[] branchIndexes = new int[MAX_LEVELS];
    private long root;
    private int branchLevels;
    private long leaf;
    private int leafCount;
    private int leafIndex;
    private long expectedModCount;
    private boolean exhausted;

    TreeCursor(final PageStore store, final BTree live, final long root, final int valueLongs)
    {
        this.store = store;
        this.live = live;
        this.root = root;
        this.valueLongs = valueLongs;
        this.valuesOffset = PageDescriptor.leafValuesOffset(valueLongs);
    }

    @Override
    public void seek(final long fromKeyInclusive)
    {
        if (live != null)
        {
            root = live.rootPageId();
            expectedModCount = live.modCount();
        }
        long pageId = root;
        long page = store.readAddress(pageId);
        int depth = 0;
        while (level(page) > 0)
        {
            final int index = upperBound(page, count(page), fromKeyInclusive);
            branchIds[depth] = pageId;
            branchIndexes[depth] = index;
            depth++;
            pageId = child(page, index);
            page = store.readAddress(pageId);
        }
        branchLevels = depth;
        leaf = page;
        leafCount = count(page);
        leafIndex = lowerBound(page, leafCount, fromKeyInclusive) - 1;
        exhausted = false;
    }

    @Override
    public boolean next()
    {
        if (live != null && live.modCount() != expectedModCount)
        {
            throw new ConcurrentModificationException("the tree changed after this cursor was positioned; seek again");
        }
        if (exhausted)
        {
            return false;
        }
        final int index = leafIndex + 1;
        if (index < leafCount)
        {
            leafIndex = index;
            return true;
        }
        return nextLeaf();
    }

    private boolean nextLeaf()
    {
        for (int depth = branchLevels - 1; depth >= 0; depth--)
        {
            final long branch = store.readAddress(branchIds[depth]);
            if (branchIndexes[depth] < count(branch))
            {
                final int index = ++branchIndexes[depth];
                long pageId = child(branch, index);
                long page = store.readAddress(pageId);
                int d = depth + 1;
                while (level(page) > 0)
                {
                    branchIds[d] = pageId;
                    branchIndexes[d] = 0;
                    d++;
                    pageId = child(page, 0);
                    page = store.readAddress(pageId);
                }
                leaf = page;
                leafCount = count(page);
                leafIndex = 0;
                if (leafCount > 0)
                {
                    return true;
                }
                depth = d;
            }
        }
        exhausted = true;
        leafIndex = leafCount;
        return false;
    }

    @Override
    public long key()
    {
        return PageDescriptor.key(leaf, leafIndex);
    }

    @Override
    public long value(final int index)
    {
        if (BTree.CHECKS && (index < 0 || index >= valueLongs))
        {
            throw new IndexOutOfBoundsException("value index " + index + " of " + valueLongs);
        }
        return MEMORY.get(LONG, leaf + valuesOffset + (((long)leafIndex * valueLongs + index) << 3));
    }
}
