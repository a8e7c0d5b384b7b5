package io.presync.btree;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Layout of one 4 KiB B+tree page, the same in memory and on disk (little-endian, 8-byte aligned).
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |        CRC32C of bytes [4, 4096) (stored pages only)          |  0
 *  +---------------+---------------+---------------+---------------+
 *  |   page type   |     level     |  valueLongs   |   reserved    |  4
 *  +---------------+---------------+---------------+---------------+
 *  |                     key count (int)                           |  8
 *  +---------------------------------------------------------------+
 *  |                     reserved (int)                            | 12
 *  +---------------------------------------------------------------+
 *  |                     page id (long)                            | 16
 *  +---------------------------------------------------------------+
 *  |      tree size (long): entries of the tree, root page only    | 24
 *  +---------------------------------------------------------------+
 *  |  keys: long[capacity], sorted ascending                     ...  32
 *  +---------------------------------------------------------------+
 *  |  leaf:   values long[capacity * valueLongs], row i at i*valueLongs
 *  |  branch: child page ids long[BRANCH_KEY_CAPACITY + 1]         ...
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * Keys and values are kept as separate arrays (structure of arrays) so that the binary search
 * touches only the key cache lines. A leaf holds {@code (4096 - 32) / 8 / (1 + valueLongs)} entries
 * (254 for one value long, 169 for two, 56 for eight). A branch holds up to 253 separator keys and
 * 254 children; child {@code i} holds the keys {@code k} with {@code keys[i - 1] <= k < keys[i]}.
 * The level is 0 for leaves and counts up to the root, so a reader knows a page's kind and the tree's
 * height from the page alone. The page id field lets a store detect a page written at the wrong place.
 */
final class PageDescriptor
{
    static final int PAGE_BYTES = PageStore.PAGE_BYTES;

    static final byte TYPE_LEAF = 1;
    static final byte TYPE_BRANCH = 2;
    /** A freed page on disk: its first key slot holds the next free page id (0 ends the list). */
    static final byte TYPE_FREE = 3;
    /** The page store's own meta page (FileRegionPageStore page 0). */
    static final byte TYPE_STORE_META = 4;

    static final int CHECKSUM_OFFSET = 0;
    static final int TYPE_OFFSET = 4;
    static final int LEVEL_OFFSET = 5;
    static final int VALUE_LONGS_OFFSET = 6;
    static final int COUNT_OFFSET = 8;
    static final int PAGE_ID_OFFSET = 16;
    static final int TREE_SIZE_OFFSET = 24;
    static final int HEADER_BYTES = 32;
    static final int KEYS_OFFSET = HEADER_BYTES;

    static final int BODY_LONGS = (PAGE_BYTES - HEADER_BYTES) / Long.BYTES;
    static final int BRANCH_KEY_CAPACITY = (BODY_LONGS - 1) / 2;
    static final int BRANCH_CHILDREN_OFFSET = KEYS_OFFSET + BRANCH_KEY_CAPACITY * Long.BYTES;
    static final int MAX_VALUE_LONGS = 8;

    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;

    private PageDescriptor()
    {
    }

    static int leafCapacity(final int valueLongs)
    {
        return BODY_LONGS / (1 + valueLongs);
    }

    static int leafValuesOffset(final int valueLongs)
    {
        return KEYS_OFFSET + leafCapacity(valueLongs) * Long.BYTES;
    }

    static byte type(final MemorySegment page)
    {
        return page.get(BYTE, TYPE_OFFSET);
    }

    static int level(final MemorySegment page)
    {
        return page.get(BYTE, LEVEL_OFFSET);
    }

    static int count(final MemorySegment page)
    {
        return page.get(INT, COUNT_OFFSET);
    }

    static void count(final MemorySegment page, final int count)
    {
        page.set(INT, COUNT_OFFSET, count);
    }

    static long key(final MemorySegment page, final int index)
    {
        return page.get(LONG, KEYS_OFFSET + ((long)index << 3));
    }

    static void key(final MemorySegment page, final int index, final long key)
    {
        page.set(LONG, KEYS_OFFSET + ((long)index << 3), key);
    }

    static long child(final MemorySegment page, final int index)
    {
        return page.get(LONG, BRANCH_CHILDREN_OFFSET + ((long)index << 3));
    }

    static void child(final MemorySegment page, final int index, final long pageId)
    {
        page.set(LONG, BRANCH_CHILDREN_OFFSET + ((long)index << 3), pageId);
    }

    static long treeSize(final MemorySegment page)
    {
        return page.get(LONG, TREE_SIZE_OFFSET);
    }

    static void treeSize(final MemorySegment page, final long size)
    {
        page.set(LONG, TREE_SIZE_OFFSET, size);
    }

    static void initLeaf(final MemorySegment page, final long pageId, final int valueLongs)
    {
        page.set(BYTE, TYPE_OFFSET, TYPE_LEAF);
        page.set(BYTE, LEVEL_OFFSET, (byte)0);
        page.set(BYTE, VALUE_LONGS_OFFSET, (byte)valueLongs);
        page.set(INT, COUNT_OFFSET, 0);
        page.set(LONG, PAGE_ID_OFFSET, pageId);
        page.set(LONG, TREE_SIZE_OFFSET, 0L);
    }

    static void initBranch(final MemorySegment page, final long pageId, final int level, final int valueLongs)
    {
        page.set(BYTE, TYPE_OFFSET, TYPE_BRANCH);
        page.set(BYTE, LEVEL_OFFSET, (byte)level);
        page.set(BYTE, VALUE_LONGS_OFFSET, (byte)valueLongs);
        page.set(INT, COUNT_OFFSET, 0);
        page.set(LONG, PAGE_ID_OFFSET, pageId);
        page.set(LONG, TREE_SIZE_OFFSET, 0L);
    }

    /** Number of keys {@code <= key} among the first {@code count} keys (index of the child to follow). */
    static int upperBound(final MemorySegment page, final int count, final long key)
    {
        int lo = 0;
        int hi = count;
        while (lo < hi)
        {
            final int mid = (lo + hi) >>> 1;
            if (page.get(LONG, KEYS_OFFSET + ((long)mid << 3)) <= key)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    /** Number of keys {@code < key} among the first {@code count} keys (insertion point). */
    static int lowerBound(final MemorySegment page, final int count, final long key)
    {
        int lo = 0;
        int hi = count;
        while (lo < hi)
        {
            final int mid = (lo + hi) >>> 1;
            if (page.get(LONG, KEYS_OFFSET + ((long)mid << 3)) < key)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }
}
