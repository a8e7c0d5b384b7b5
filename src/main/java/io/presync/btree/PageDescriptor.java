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
 *
 * <p>A free page on disk has type {@link #TYPE_FREE} and the next free page id in its first key slot.
 * Page 0 of a {@link FileRegionPageStore} region is the store's meta page (same 32-byte header, type
 * {@link #TYPE_STORE_META}):
 *
 * <pre>
 *  +---------------------------------------------------------------+
 *  |            common header (checksum, type, page id 0)          |  0
 *  +---------------------------------------------------------------+
 *  |                 magic "PSBTREE1" (long)                       | 32
 *  +---------------------------------------------------------------+
 *  |        page bytes (int, 4096)     |      format version (int) | 40
 *  +---------------------------------------------------------------+
 *  |                 region length in bytes (long)                 | 48
 *  +---------------------------------------------------------------+
 *  |     next page id never handed out (long, the high-water mark) | 56
 *  +---------------------------------------------------------------+
 *  |                 head of the free page list (long, 0 = empty)  | 64
 *  +---------------------------------------------------------------+
 *  |                 pages on the free list (long)                 | 72
 *  +---------------------------------------------------------------+
 *  |  8 caller slots (long each): tree root page ids and the like  | 80 .. 144
 *  +---------------------------------------------------------------+
 * </pre>
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

    static final long META_MAGIC = 0x3145455254425350L; // "PSBTREE1" little-endian
    static final int META_VERSION = 1;
    static final int META_MAGIC_OFFSET = 32;
    static final int META_PAGE_BYTES_OFFSET = 40;
    static final int META_VERSION_OFFSET = 44;
    static final int META_REGION_LENGTH_OFFSET = 48;
    static final int META_NEXT_PAGE_OFFSET = 56;
    static final int META_FREE_HEAD_OFFSET = 64;
    static final int META_FREE_COUNT_OFFSET = 72;
    static final int META_SLOTS_OFFSET = 80;
    static final int META_SLOTS = 8;
    static final int FREE_NEXT_OFFSET = KEYS_OFFSET;

    /**
     * All of native memory as one segment: pages are addressed by their raw address so that the hot
     * paths pay no per-page segment bounds or liveness checks (the stores keep the pages alive until
     * they are freed or the store is closed; CHECKS-mode tests exercise the same code).
     */
    static final MemorySegment MEMORY = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
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

    static byte type(final long page)
    {
        return MEMORY.get(BYTE, page + TYPE_OFFSET);
    }

    static int level(final long page)
    {
        return MEMORY.get(BYTE, page + LEVEL_OFFSET);
    }

    static int count(final long page)
    {
        return MEMORY.get(INT, page + COUNT_OFFSET);
    }

    static void count(final long page, final int count)
    {
        MEMORY.set(INT, page + COUNT_OFFSET, count);
    }

    static long key(final long page, final int index)
    {
        return MEMORY.get(LONG, page + KEYS_OFFSET + ((long)index << 3));
    }

    static void key(final long page, final int index, final long key)
    {
        MEMORY.set(LONG, page + KEYS_OFFSET + ((long)index << 3), key);
    }

    static long child(final long page, final int index)
    {
        return MEMORY.get(LONG, page + BRANCH_CHILDREN_OFFSET + ((long)index << 3));
    }

    static void child(final long page, final int index, final long pageId)
    {
        MEMORY.set(LONG, page + BRANCH_CHILDREN_OFFSET + ((long)index << 3), pageId);
    }

    static long treeSize(final long page)
    {
        return MEMORY.get(LONG, page + TREE_SIZE_OFFSET);
    }

    static void treeSize(final long page, final long size)
    {
        MEMORY.set(LONG, page + TREE_SIZE_OFFSET, size);
    }

    static void initLeaf(final long page, final long pageId, final int valueLongs)
    {
        MEMORY.set(BYTE, page + TYPE_OFFSET, TYPE_LEAF);
        MEMORY.set(BYTE, page + LEVEL_OFFSET, (byte)0);
        MEMORY.set(BYTE, page + VALUE_LONGS_OFFSET, (byte)valueLongs);
        MEMORY.set(INT, page + COUNT_OFFSET, 0);
        MEMORY.set(LONG, page + PAGE_ID_OFFSET, pageId);
        MEMORY.set(LONG, page + TREE_SIZE_OFFSET, 0L);
    }

    static void initBranch(final long page, final long pageId, final int level, final int valueLongs)
    {
        MEMORY.set(BYTE, page + TYPE_OFFSET, TYPE_BRANCH);
        MEMORY.set(BYTE, page + LEVEL_OFFSET, (byte)level);
        MEMORY.set(BYTE, page + VALUE_LONGS_OFFSET, (byte)valueLongs);
        MEMORY.set(INT, page + COUNT_OFFSET, 0);
        MEMORY.set(LONG, page + PAGE_ID_OFFSET, pageId);
        MEMORY.set(LONG, page + TREE_SIZE_OFFSET, 0L);
    }

    /** Below this many keys a plain binary search is as cheap as guessing first. */
    private static final int INTERPOLATION_MINIMUM = 32;

    /** Number of keys {@code <= key} among the first {@code count} keys (index of the child to follow). */
    static int upperBound(final long page, final int count, final long key)
    {
        return key == Long.MAX_VALUE ? count : lowerBound(page, count, key + 1);
    }

    /**
     * Number of keys {@code < key} among the first {@code count} keys (the insertion point).
     * Large pages first guess the position by interpolating between the first and the last key, then
     * gallop from the guess (steps 1, 2, 4, ...) until the answer is bracketed and binary-search the
     * bracket: for evenly spread keys the guess is off by about 8 keys, so a search touches about 3
     * cache lines instead of the 7 or 8 of a binary search over 254 keys; for unevenly spread keys the
     * gallop costs at most about twice a binary search.
     */
    static int lowerBound(final long page, final int count, final long key)
    {
        int lo = 0;
        int hi = count;
        if (count >= INTERPOLATION_MINIMUM)
        {
            final long keys = page + KEYS_OFFSET;
            final long first = MEMORY.get(LONG, keys);
            final long last = MEMORY.get(LONG, keys + ((long)(count - 1) << 3));
            if (key <= first)
            {
                return 0;
            }
            if (key > last)
            {
                return count;
            }
            // first < key <= last: the answer lies in [1, count - 1].
            final int guess = (int)(((double)key - (double)first) / ((double)last - (double)first) * (count - 1));
            final int start = Math.min(Math.max(guess, 1), count - 1);
            int step = 1;
            if (MEMORY.get(LONG, keys + ((long)start << 3)) < key)
            {
                lo = start + 1;
                hi = count - 1;
                while (true)
                {
                    final int probe = lo + step - 1;
                    if (probe >= count - 1)
                    {
                        break;
                    }
                    if (MEMORY.get(LONG, keys + ((long)probe << 3)) >= key)
                    {
                        hi = probe;
                        break;
                    }
                    lo = probe + 1;
                    step <<= 1;
                }
            }
            else
            {
                hi = start;
                lo = 1;
                while (true)
                {
                    final int probe = hi - step;
                    if (probe < 1)
                    {
                        break;
                    }
                    if (MEMORY.get(LONG, keys + ((long)probe << 3)) < key)
                    {
                        lo = probe + 1;
                        break;
                    }
                    hi = probe;
                    step <<= 1;
                }
            }
        }
        while (lo < hi)
        {
            final int mid = (lo + hi) >>> 1;
            if (MEMORY.get(LONG, page + KEYS_OFFSET + ((long)mid << 3)) < key)
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

    /**
     * {@link #lowerBound(long, int, long)} for a page whose keys are known to lie in
     * {@code [low, high)} (the separators its parent routed through): the guess interpolates between
     * those bounds, which are already in cache, so the page's last key need not be read.
     */
    static int lowerBound(final long page, final int count, final long key, final long low, final long high)
    {
        if (count < INTERPOLATION_MINIMUM)
        {
            return lowerBound(page, count, key);
        }
        final long keys = page + KEYS_OFFSET;
        final int guess = (int)(((double)key - (double)low) / ((double)high - (double)low) * count);
        final int start = Math.min(Math.max(guess, 0), count - 1);
        int lo;
        int hi;
        int step = 1;
        if (MEMORY.get(LONG, keys + ((long)start << 3)) < key)
        {
            lo = start + 1;
            hi = count;
            while (true)
            {
                final int probe = lo + step - 1;
                if (probe >= count)
                {
                    break;
                }
                if (MEMORY.get(LONG, keys + ((long)probe << 3)) >= key)
                {
                    hi = probe;
                    break;
                }
                lo = probe + 1;
                step <<= 1;
            }
        }
        else
        {
            hi = start;
            lo = 0;
            while (true)
            {
                final int probe = hi - step;
                if (probe < 0)
                {
                    break;
                }
                if (MEMORY.get(LONG, keys + ((long)probe << 3)) < key)
                {
                    lo = probe + 1;
                    break;
                }
                hi = probe;
                step <<= 1;
            }
        }
        while (lo < hi)
        {
            final int mid = (lo + hi) >>> 1;
            if (MEMORY.get(LONG, keys + ((long)mid << 3)) < key)
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
