package io.presync.btree;

import java.lang.foreign.MemorySegment;

import static io.presync.btree.PageDescriptor.BRANCH_KEY_CAPACITY;
import static io.presync.btree.PageDescriptor.KEYS_OFFSET;
import static io.presync.btree.PageDescriptor.BRANCH_CHILDREN_OFFSET;
import static io.presync.btree.PageDescriptor.LONG;
import static io.presync.btree.PageDescriptor.MEMORY;
import static io.presync.btree.PageDescriptor.PAGE_BYTES;
import static io.presync.btree.PageDescriptor.PAGE_ID_OFFSET;
import static io.presync.btree.PageDescriptor.child;
import static io.presync.btree.PageDescriptor.count;
import static io.presync.btree.PageDescriptor.key;
import static io.presync.btree.PageDescriptor.level;
import static io.presync.btree.PageDescriptor.lowerBound;
import static io.presync.btree.PageDescriptor.upperBound;

/**
 * A B+tree of {@code long} keys and fixed-width values ({@code valueLongs} longs, 1 to 8, fixed per
 * tree) in 4 KiB pages of a {@link PageStore}; see {@link PageDescriptor} for the page layout.
 *
 * <p><b>Copy-on-write snapshots.</b> {@link #snapshot()} adds one reference to the root page and
 * returns; nothing is copied. Every page carries a reference count in its store: before the tree
 * changes a page it walks down from the root and copies every page on the path whose count is above
 * one (a path copy, as LMDB and dm-persistent-data do), adding a reference to each child of a copied
 * branch and dropping one from the original. A snapshot therefore sees its pages unchanged until it is
 * closed; closing drops its root reference and frees, recursively, every page whose count reaches
 * zero. Any number of snapshots may be open.
 *
 * <p><b>Rebalancing policy.</b> A full leaf first shifts entries into a neighbour with room (the
 * B*-tree rule, so random inserts keep leaves about 85% full); otherwise a split moves half of a full
 * node into a new right sibling, except an append at the right edge of the tree, which leaves the
 * left node full (sequential inserts then fill pages completely, as PostgreSQL does for its rightmost
 * page). After a remove, a non-root node below
 * a third of its capacity is merged with a neighbour when both fit in one page, otherwise the two
 * share their entries evenly; a root branch left with a single child is replaced by that child. So
 * every non-root page is at least a third full and the pages in use stay proportional to the size.
 *
 * <p><b>Persistence.</b> The root page carries the tree's size in its header; the caller persists
 * {@link #rootPageId()} (the pool keeps it in its superblock, or in a slot of
 * {@link FileRegionPageStore#metaLong}) and reopens with {@link #open}. Snapshots are not persistent.
 *
 * <p><b>Memory safety.</b> Pages are read through raw addresses (PageDescriptor.MEMORY),
 * so the usual segment checks do not guard them: a tree, snapshot or cursor must not be used after
 * its store is closed (the stores drop their page tables on close so that most such uses fail with
 * an exception, but a cursor positioned before the close may read freed memory).
 *
 * <p><b>Threads.</b> Single-threaded: the tree, its snapshots and its store belong to one thread.
 * Readers on other threads need external synchronisation with every writer of the store (a write may
 * grow the store's page table and free pages). get, put, remove, the key searches and
 * {@link Cursor#next()} allocate nothing.
 */
public final class BTree implements AutoCloseable
{
    /** Sanity checks on hot paths: on in tests (surefire sets presync.checks), off in benchmarks. */
    static final boolean CHECKS = Boolean.parseBoolean(System.getProperty("presync.checks", "false"));

    /** Sentinel returned by the key searches when there is no such key; keys may not use it. */
    public static final long NO_KEY = Long.MIN_VALUE;

    /** Enough for any tree: even nodes of three keys (tests) reach 32 levels only past 2^32 entries. */
    private static final int MAX_LEVELS = 32;

    private final PageStore store;
    private final boolean ownsStore;
    private final int valueLongs;
    private final int valuesOffset;
    private final int leafCapacity;
    private final int branchCapacity;
    private final int leafMinimum;
    private final int branchMinimum;

    private final long[] pathIds = new long[MAX_LEVELS];
    private final int[] pathIndexes = new int[MAX_LEVELS];
    private int pathDepth;
    private int rightEdgeDepth;
    private long leafId;
    private long slotPage;
    private int slotIndex;
    private final long[] scratchKeys = new long[2 * BRANCH_KEY_CAPACITY + 2];
    private final long[] scratchChildren = new long[2 * BRANCH_KEY_CAPACITY + 3];

    private long root;
    private long size;
    private long pageCount;
    private long modCount;
    private boolean closed;

    private BTree(
        final PageStore store, final boolean ownsStore, final int valueLongs, final int leafCapacity,
        final int branchCapacity)
    {
        if (valueLongs < 1 || valueLongs > PageDescriptor.MAX_VALUE_LONGS)
        {
            throw new IllegalArgumentException("valueLongs must be 1 to 8, not " + valueLongs);
        }
        if (leafCapacity < 3 || leafCapacity > PageDescriptor.leafCapacity(valueLongs) ||
            branchCapacity < 3 || branchCapacity > BRANCH_KEY_CAPACITY)
        {
            throw new IllegalArgumentException("bad node capacities " + leafCapacity + "/" + branchCapacity);
        }
        this.store = store;
        this.ownsStore = ownsStore;
        this.valueLongs = valueLongs;
        this.valuesOffset = PageDescriptor.leafValuesOffset(valueLongs);
        this.leafCapacity = leafCapacity;
        this.branchCapacity = branchCapacity;
        this.leafMinimum = Math.max(1, leafCapacity / 3);
        this.branchMinimum = Math.max(1, branchCapacity / 3);
    }

    /** A new, empty tree in {@code store}; values are {@code valueLongs} (1..8) longs. */
    public static BTree create(final PageStore store, final int valueLongs)
    {
        return create(store, valueLongs, PageDescriptor.leafCapacity(valueLongs), BRANCH_KEY_CAPACITY);
    }

    /** A new, empty tree in a {@link MemoryPageStore} of its own, closed with the tree. */
    public static BTree inMemory(final int valueLongs)
    {
        final BTree tree = new BTree(
            new MemoryPageStore(), true, valueLongs, PageDescriptor.leafCapacity(valueLongs), BRANCH_KEY_CAPACITY);
        tree.initEmpty();
        return tree;
    }

    /** Tests: small node capacities make splits and merges happen with few keys. */
    static BTree create(final PageStore store, final int valueLongs, final int leafCapacity, final int branchCapacity)
    {
        final BTree tree = new BTree(store, false, valueLongs, leafCapacity, branchCapacity);
        tree.initEmpty();
        return tree;
    }

    /**
     * Reopens a tree whose root page id the caller kept; the size comes from the root page.
     *
     * @throws IllegalArgumentException when the page is not a tree root with these value longs.
     */
    public static BTree open(final PageStore store, final long rootPageId, final int valueLongs)
    {
        final BTree tree = new BTree(
            store, false, valueLongs, PageDescriptor.leafCapacity(valueLongs), BRANCH_KEY_CAPACITY);
        final long page = store.readAddress(rootPageId);
        final byte type = PageDescriptor.type(page);
        if ((type != PageDescriptor.TYPE_LEAF && type != PageDescriptor.TYPE_BRANCH) ||
            MEMORY.get(PageDescriptor.BYTE, page + PageDescriptor.VALUE_LONGS_OFFSET) != valueLongs)
        {
            throw new IllegalArgumentException(
                "page " + rootPageId + " is not the root of a tree with " + valueLongs + " value longs");
        }
        tree.root = rootPageId;
        tree.size = PageDescriptor.treeSize(page);
        tree.pageCount = TreeReads.countPages(store, rootPageId);
        return tree;
    }

    private void initEmpty()
    {
        root = store.allocate();
        PageDescriptor.initLeaf(store.writeAddress(root), root, valueLongs);
        pageCount = 1;
        size = 0;
    }

    /** Longs per value. */
    public int valueLongs()
    {
        return valueLongs;
    }

    /** The store holding the pages. */
    public PageStore store()
    {
        return store;
    }

    /** Entries in the tree. */
    public long size()
    {
        return size;
    }

    /**
     * Bytes of the pages the live tree references (pages × 4096), counting pages it shares with
     * snapshots; the store's own overhead is {@link PageStore#reservedBytes()} minus its pages in use.
     */
    public long bytesInUse()
    {
        return pageCount * PAGE_BYTES;
    }

    /** Pages the live tree references. */
    public long pageCount()
    {
        return pageCount;
    }

    /** The current root page id; persist it to {@link #open} the tree again. Changes on writes. */
    public long rootPageId()
    {
        return root;
    }

    long modCount()
    {
        return modCount;
    }

    // ------------------------------------------------------------------ reads

    /** Copies the value of {@code key} into {@code valueOut} (reused by the caller); false when absent. */
    public boolean get(final long key, final long[] valueOut)
    {
        return TreeReads.get(store, root, valuesOffset, valueLongs, key, valueOut);
    }

    /** Whether the key is present. */
    public boolean containsKey(final long key)
    {
        return TreeReads.containsKey(store, root, key);
    }

    /** Greatest key {@code <= key}, or {@link #NO_KEY}. */
    public long floorKey(final long key)
    {
        return TreeReads.floorKey(store, root, key);
    }

    /** Least key {@code >= key}, or {@link #NO_KEY}. */
    public long ceilingKey(final long key)
    {
        return TreeReads.ceilingKey(store, root, key);
    }

    /** Greatest key {@code < key}, or {@link #NO_KEY}. */
    public long lowerKey(final long key)
    {
        return TreeReads.lowerKey(store, root, key);
    }

    /** Least key {@code > key}, or {@link #NO_KEY}. */
    public long higherKey(final long key)
    {
        return TreeReads.higherKey(store, root, key);
    }

    /** A cursor before the first key {@code >= fromKeyInclusive}; invalidated by changes to the tree. */
    public Cursor cursor(final long fromKeyInclusive)
    {
        final TreeCursor cursor = new TreeCursor(store, this, root, valueLongs);
        cursor.seek(fromKeyInclusive);
        return cursor;
    }

    // ------------------------------------------------------------------ writes

    /** Inserts or replaces; true when the key was new. */
    public boolean put(final long key, final long[] value)
    {
        final boolean inserted = makeSlot(key);
        final long page = slotPage;
        final long offset = valuesOffset + ((long)slotIndex * valueLongs << 3);
        for (int i = 0; i < valueLongs; i++)
        {
            MEMORY.set(LONG, page + offset + ((long)i << 3), value[i]);
        }
        return inserted;
    }

    /** {@link #put(long, long[])} for a tree with one value long. */
    public boolean put(final long key, final long value0)
    {
        if (CHECKS && valueLongs != 1)
        {
            throw new IllegalStateException("tree has " + valueLongs + " value longs");
        }
        final boolean inserted = makeSlot(key);
        MEMORY.set(LONG, slotPage + valuesOffset + ((long)slotIndex << 3), value0);
        return inserted;
    }

    /** {@link #put(long, long[])} for a tree with two value longs. */
    public boolean put(final long key, final long value0, final long value1)
    {
        if (CHECKS && valueLongs != 2)
        {
            throw new IllegalStateException("tree has " + valueLongs + " value longs");
        }
        final boolean inserted = makeSlot(key);
        final long offset = valuesOffset + ((long)slotIndex << 4);
        MEMORY.set(LONG, slotPage + offset, value0);
        MEMORY.set(LONG, slotPage + offset + 8, value1);
        return inserted;
    }

    /**
     * Finds or makes the leaf slot of {@code key} (splitting up the path as needed) and leaves it in
     * slotPage/slotIndex for the caller to write the value; true when the key is new.
     */
    private boolean makeSlot(final long key)
    {
        if (key == NO_KEY)
        {
            throw new IllegalArgumentException("key Long.MIN_VALUE is reserved (BTree.NO_KEY)");
        }
        modCount++;
        final long leaf = descendForWrite(key);
        final int count = count(leaf);
        final int index = lowerBound(leaf, count, key);
        if (index < count && key(leaf, index) == key)
        {
            slotPage = leaf;
            slotIndex = index;
            return false;
        }
        if (count < leafCapacity)
        {
            insertIntoLeaf(leaf, count, index, key);
            slotPage = leaf;
            slotIndex = index;
        }
        else if ((index == count && rightEdgeDepth == pathDepth) || !shiftToSiblingAndInsert(leaf, count, index, key))
        {
            splitLeafAndInsert(leaf, count, index, key);
        }
        size++;
        writeSize();
        return true;
    }

    /**
     * Walks from the root to the leaf of {@code key}, copying shared pages so that the whole path is
     * private to the live tree, and records the path for splits and merges.
     */
    private long descendForWrite(final long key)
    {
        if (store.refCount(root) > 1)
        {
            root = copyPage(root);
        }
        long pageId = root;
        long page = store.writeAddress(pageId);
        int depth = 0;
        int rightEdge = -1;
        while (level(page) > 0)
        {
            final int count = count(page);
            final int index = upperBound(page, count, key);
            pathIds[depth] = pageId;
            pathIndexes[depth] = index;
            if (index != count && rightEdge < 0)
            {
                rightEdge = depth;
            }
            depth++;
            pageId = privateChild(page, index);
            page = store.writeAddress(pageId);
        }
        pathDepth = depth;
        rightEdgeDepth = rightEdge < 0 ? depth : rightEdge;
        leafId = pageId;
        return page;
    }

    /** The child at {@code index} of a private branch, copied first if it is shared. */
    private long privateChild(final long branch, final int index)
    {
        final long childId = child(branch, index);
        if (store.refCount(childId) > 1)
        {
            final long copyId = copyPage(childId);
            PageDescriptor.child(branch, index, copyId);
            return copyId;
        }
        return childId;
    }

    private long copyPage(final long pageId)
    {
        final long copyId = store.allocate();
        final long copy = store.writeAddress(copyId);
        final long original = store.readAddress(pageId);
        MemorySegment.copy(MEMORY, original + 0, MEMORY, copy + 0, PAGE_BYTES);
        MEMORY.set(LONG, copy + PAGE_ID_OFFSET, copyId);
        if (level(copy) > 0)
        {
            final int count = count(copy);
            for (int i = 0; i <= count; i++)
            {
                store.retain(child(copy, i));
            }
        }
        store.release(pageId);
        return copyId;
    }

    private void writeSize()
    {
        if (store.refCount(root) > 1)
        {
            root = copyPage(root);
        }
        PageDescriptor.treeSize(store.writeAddress(root), size);
    }

    private void insertIntoLeaf(final long leaf, final int count, final int index, final long key)
    {
        final int tail = count - index;
        if (tail > 0)
        {
            final long keyOffset = KEYS_OFFSET + ((long)index << 3);
            MemorySegment.copy(MEMORY, leaf + keyOffset, MEMORY, leaf + keyOffset + 8, (long)tail << 3);
            final long rowBytes = (long)valueLongs << 3;
            final long valueOffset = valuesOffset + index * rowBytes;
            MemorySegment.copy(MEMORY, leaf + valueOffset, MEMORY, leaf + valueOffset + rowBytes, tail * rowBytes);
        }
        PageDescriptor.key(leaf, index, key);
        PageDescriptor.count(leaf, count + 1);
    }

    /** Moves entries [from, from + length) of one leaf to [to, to + length) of another (or the same). */
    private void moveLeafEntries(
        final long source, final int from, final long target, final int to, final int length)
    {
        if (length <= 0)
        {
            return;
        }
        MemorySegment.copy(MEMORY, source + KEYS_OFFSET + ((long)from << 3), MEMORY, target + KEYS_OFFSET + ((long)to << 3),
            (long)length << 3);
        final long rowBytes = (long)valueLongs << 3;
        MemorySegment.copy(MEMORY, source + valuesOffset + from * rowBytes, MEMORY, target + valuesOffset + to * rowBytes,
            length * rowBytes);
    }

    /**
     * A full leaf first hands entries to a neighbour under the same parent that has room (half of
     * that room, at least a sixteenth of a page, so shifts stay rare); only when neither has room is
     * it split. This is the B*-tree overflow rule: random inserts then keep leaves about 85% full
     * instead of about 70%.
     */
    private boolean shiftToSiblingAndInsert(final long leaf, final int count, final int index, final long key)
    {
        if (pathDepth == 0)
        {
            return false;
        }
        final int minimumRoom = Math.max(2, leafCapacity / 16);
        final long parent = store.writeAddress(pathIds[pathDepth - 1]);
        final int childIndex = pathIndexes[pathDepth - 1];
        if (childIndex > 0)
        {
            final int leftCount = count(store.readAddress(child(parent, childIndex - 1)));
            if (leafCapacity - leftCount >= minimumRoom)
            {
                final long left = store.writeAddress(privateChild(parent, childIndex - 1));
                final int moving = (leafCapacity - leftCount) / 2;
                moveLeafEntries(leaf, 0, left, leftCount, moving);
                moveLeafEntries(leaf, moving, leaf, 0, count - moving);
                PageDescriptor.count(left, leftCount + moving);
                PageDescriptor.count(leaf, count - moving);
                if (index <= moving)
                {
                    insertIntoLeaf(left, leftCount + moving, leftCount + index, key);
                    slotPage = left;
                    slotIndex = leftCount + index;
                }
                else
                {
                    insertIntoLeaf(leaf, count - moving, index - moving, key);
                    slotPage = leaf;
                    slotIndex = index - moving;
                }
                PageDescriptor.key(parent, childIndex - 1, key(leaf, 0));
                return true;
            }
        }
        if (childIndex < count(parent))
        {
            final int rightCount = count(store.readAddress(child(parent, childIndex + 1)));
            if (leafCapacity - rightCount >= minimumRoom)
            {
                final long right = store.writeAddress(privateChild(parent, childIndex + 1));
                final int moving = (leafCapacity - rightCount) / 2;
                final int kept = count - moving;
                moveLeafEntries(right, 0, right, moving, rightCount);
                moveLeafEntries(leaf, kept, right, 0, moving);
                PageDescriptor.count(right, rightCount + moving);
                PageDescriptor.count(leaf, kept);
                if (index <= kept)
                {
                    insertIntoLeaf(leaf, kept, index, key);
                    slotPage = leaf;
                    slotIndex = index;
                }
                else
                {
                    insertIntoLeaf(right, rightCount + moving, index - kept, key);
                    slotPage = right;
                    slotIndex = index - kept;
                }
                PageDescriptor.key(parent, childIndex, key(right, 0));
                return true;
            }
        }
        return false;
    }

    private void splitLeafAndInsert(final long leaf, final int count, final int index, final long key)
    {
        final long rightId = store.allocate();
        final long right = store.writeAddress(rightId);
        PageDescriptor.initLeaf(right, rightId, valueLongs);
        pageCount++;
        // An append at the right edge keeps the left leaf full, so sequential inserts fill pages.
        final int splitAt = (index == count && rightEdgeDepth == pathDepth) ? count : count / 2;
        moveLeafEntries(leaf, splitAt, right, 0, count - splitAt);
        PageDescriptor.count(leaf, splitAt);
        PageDescriptor.count(right, count - splitAt);
        if (index < splitAt)
        {
            insertIntoLeaf(leaf, splitAt, index, key);
            slotPage = leaf;
            slotIndex = index;
        }
        else
        {
            insertIntoLeaf(right, count - splitAt, index - splitAt, key);
            slotPage = right;
            slotIndex = index - splitAt;
        }
        insertIntoParent(pathDepth - 1, key(right, 0), rightId);
    }

    /** Adds separator {@code separator} and its right child to the branch at {@code depth}, splitting upwards. */
    private void insertIntoParent(final int startDepth, final long startSeparator, final long startRightId)
    {
        int depth = startDepth;
        long separator = startSeparator;
        long rightId = startRightId;
        while (true)
        {
            if (depth < 0)
            {
                final long newRootId = store.allocate();
                final long newRoot = store.writeAddress(newRootId);
                PageDescriptor.initBranch(newRoot, newRootId, level(store.readAddress(root)) + 1, valueLongs);
                PageDescriptor.key(newRoot, 0, separator);
                PageDescriptor.child(newRoot, 0, root);
                PageDescriptor.child(newRoot, 1, rightId);
                PageDescriptor.count(newRoot, 1);
                root = newRootId;
                pageCount++;
                return;
            }
            final long branchId = pathIds[depth];
            final int index = pathIndexes[depth];
            final long branch = store.writeAddress(branchId);
            final int count = count(branch);
            if (count < branchCapacity)
            {
                final int tail = count - index;
                if (tail > 0)
                {
                    final long keyOffset = KEYS_OFFSET + ((long)index << 3);
                    MemorySegment.copy(MEMORY, branch + keyOffset, MEMORY, branch + keyOffset + 8, (long)tail << 3);
                    final long childOffset = BRANCH_CHILDREN_OFFSET + ((long)(index + 1) << 3);
                    MemorySegment.copy(MEMORY, branch + childOffset, MEMORY, branch + childOffset + 8, (long)tail << 3);
                }
                PageDescriptor.key(branch, index, separator);
                PageDescriptor.child(branch, index + 1, rightId);
                PageDescriptor.count(branch, count + 1);
                return;
            }
            // Split a full branch: gather count + 1 keys and count + 2 children, then deal them out.
            final long[] keys = scratchKeys;
            final long[] children = scratchChildren;
            gatherBranch(branch, count, keys, 0, children, 0);
            System.arraycopy(keys, index, keys, index + 1, count - index);
            keys[index] = separator;
            System.arraycopy(children, index + 1, children, index + 2, count - index);
            children[index + 1] = rightId;
            final int totalKeys = count + 1;
            final int leftKeys = (index == count && rightEdgeDepth >= depth) ? totalKeys - 2 : totalKeys / 2;
            final long newRightId = store.allocate();
            final long newRight = store.writeAddress(newRightId);
            PageDescriptor.initBranch(newRight, newRightId, level(branch), valueLongs);
            pageCount++;
            scatterBranch(branch, keys, 0, leftKeys, children, 0);
            scatterBranch(newRight, keys, leftKeys + 1, totalKeys - leftKeys - 1, children, leftKeys + 1);
            separator = keys[leftKeys];
            rightId = newRightId;
            depth--;
        }
    }

    private static void gatherBranch(
        final long branch, final int count, final long[] keys, final int keysAt, final long[] children,
        final int childrenAt)
    {
        MemorySegment.copy(MEMORY, LONG, branch + KEYS_OFFSET, keys, keysAt, count);
        MemorySegment.copy(MEMORY, LONG, branch + BRANCH_CHILDREN_OFFSET, children, childrenAt, count + 1);
    }

    private static void scatterBranch(
        final long branch, final long[] keys, final int keysFrom, final int count, final long[] children,
        final int childrenFrom)
    {
        MemorySegment.copy(keys, keysFrom, MEMORY, LONG, branch + KEYS_OFFSET, count);
        MemorySegment.copy(children, childrenFrom, MEMORY, LONG, branch + BRANCH_CHILDREN_OFFSET, count + 1);
        PageDescriptor.count(branch, count);
    }

    /** Removes {@code key}; true when it was present. */
    public boolean remove(final long key)
    {
        if (key == NO_KEY)
        {
            return false;
        }
        if (store.refCount(root) > 1 && !TreeReads.containsKey(store, root, key))
        {
            // Do not path-copy pages shared with a snapshot for nothing.
            return false;
        }
        final long leaf = descendForWrite(key);
        final int count = count(leaf);
        final int index = lowerBound(leaf, count, key);
        if (index == count || key(leaf, index) != key)
        {
            return false;
        }
        modCount++;
        moveLeafEntries(leaf, index + 1, leaf, index, count - index - 1);
        PageDescriptor.count(leaf, count - 1);
        size--;
        if (count - 1 < leafMinimum)
        {
            rebalance();
        }
        writeSize();
        return true;
    }

    private void rebalance()
    {
        long nodeId = leafId;
        for (int depth = pathDepth - 1; depth >= 0; depth--)
        {
            final long node = store.readAddress(nodeId);
            final boolean isLeaf = level(node) == 0;
            if (count(node) >= (isLeaf ? leafMinimum : branchMinimum))
            {
                break;
            }
            final long parentId = pathIds[depth];
            final long parent = store.writeAddress(parentId);
            if (count(parent) == 0)
            {
                break;
            }
            final int index = pathIndexes[depth];
            final int leftIndex = index > 0 ? index - 1 : 0;
            final boolean merged = isLeaf ? rebalanceLeaves(parent, leftIndex) : rebalanceBranches(parent, leftIndex);
            if (!merged)
            {
                break;
            }
            nodeId = parentId;
        }
        long rootPage = store.readAddress(root);
        while (level(rootPage) > 0 && count(rootPage) == 0)
        {
            // The root's only child takes its place; the reference moves, so the child keeps its count.
            final long onlyChild = child(rootPage, 0);
            if (store.release(root) == 0)
            {
                store.free(root);
            }
            else
            {
                store.retain(onlyChild);
            }
            root = onlyChild;
            pageCount--;
            rootPage = store.readAddress(root);
        }
    }

    /** Merges or evens out the leaves at leftIndex and leftIndex + 1 of a private branch; true when merged. */
    private boolean rebalanceLeaves(final long parent, final int leftIndex)
    {
        final long leftId = privateChild(parent, leftIndex);
        final long left = store.writeAddress(leftId);
        final long rightId = child(parent, leftIndex + 1);
        final long right = store.readAddress(rightId);
        final int leftCount = count(left);
        final int rightCount = count(right);
        if (leftCount + rightCount <= leafCapacity)
        {
            moveLeafEntries(right, 0, left, leftCount, rightCount);
            PageDescriptor.count(left, leftCount + rightCount);
            dropMerged(rightId, right);
            removeFromBranch(parent, leftIndex);
            return true;
        }
        final long privateRightId = privateChild(parent, leftIndex + 1);
        final long privateRight = store.writeAddress(privateRightId);
        final int total = leftCount + rightCount;
        final int newLeft = total / 2;
        if (leftCount > newLeft)
        {
            final int moving = leftCount - newLeft;
            moveLeafEntries(privateRight, 0, privateRight, moving, rightCount);
            moveLeafEntries(left, newLeft, privateRight, 0, moving);
        }
        else
        {
            final int moving = newLeft - leftCount;
            moveLeafEntries(privateRight, 0, left, leftCount, moving);
            moveLeafEntries(privateRight, moving, privateRight, 0, rightCount - moving);
        }
        PageDescriptor.count(left, newLeft);
        PageDescriptor.count(privateRight, total - newLeft);
        PageDescriptor.key(parent, leftIndex, key(privateRight, 0));
        return false;
    }

    /** As {@link #rebalanceLeaves} for branches, rotating through the parent's separator. */
    private boolean rebalanceBranches(final long parent, final int leftIndex)
    {
        final long leftId = privateChild(parent, leftIndex);
        final long left = store.writeAddress(leftId);
        final long rightId = child(parent, leftIndex + 1);
        final long right = store.readAddress(rightId);
        final int leftCount = count(left);
        final int rightCount = count(right);
        final long separator = key(parent, leftIndex);
        if (leftCount + 1 + rightCount <= branchCapacity)
        {
            final long[] keys = scratchKeys;
            final long[] children = scratchChildren;
            gatherBranch(left, leftCount, keys, 0, children, 0);
            keys[leftCount] = separator;
            gatherBranch(right, rightCount, keys, leftCount + 1, children, leftCount + 1);
            scatterBranch(left, keys, 0, leftCount + 1 + rightCount, children, 0);
            dropMerged(rightId, right);
            removeFromBranch(parent, leftIndex);
            return true;
        }
        final long privateRightId = privateChild(parent, leftIndex + 1);
        final long privateRight = store.writeAddress(privateRightId);
        final long[] keys = scratchKeys;
        final long[] children = scratchChildren;
        gatherBranch(left, leftCount, keys, 0, children, 0);
        keys[leftCount] = separator;
        gatherBranch(privateRight, rightCount, keys, leftCount + 1, children, leftCount + 1);
        final int totalKeys = leftCount + 1 + rightCount;
        final int newLeft = totalKeys / 2;
        scatterBranch(left, keys, 0, newLeft, children, 0);
        scatterBranch(privateRight, keys, newLeft + 1, totalKeys - newLeft - 1, children, newLeft + 1);
        PageDescriptor.key(parent, leftIndex, keys[newLeft]);
        return false;
    }

    /**
     * Drops the live tree's reference to a page whose contents were merged into its left neighbour.
     * A private page is freed without touching its children (they moved); a shared one keeps its
     * children for the snapshot, which now share them with the merged page.
     */
    private void dropMerged(final long pageId, final long page)
    {
        if (store.refCount(pageId) == 1)
        {
            store.release(pageId);
            store.free(pageId);
        }
        else
        {
            if (level(page) > 0)
            {
                final int count = count(page);
                for (int i = 0; i <= count; i++)
                {
                    store.retain(child(page, i));
                }
            }
            store.release(pageId);
        }
        pageCount--;
    }

    /** Removes separator {@code index} and child {@code index + 1} from a branch. */
    private static void removeFromBranch(final long branch, final int index)
    {
        final int count = count(branch);
        final int tail = count - index - 1;
        if (tail > 0)
        {
            final long keyOffset = KEYS_OFFSET + ((long)index << 3);
            MemorySegment.copy(MEMORY, branch + keyOffset + 8, MEMORY, branch + keyOffset, (long)tail << 3);
            final long childOffset = BRANCH_CHILDREN_OFFSET + ((long)(index + 1) << 3);
            MemorySegment.copy(MEMORY, branch + childOffset + 8, MEMORY, branch + childOffset, (long)tail << 3);
        }
        PageDescriptor.count(branch, count - 1);
    }

    // ------------------------------------------------------------------ bulk load, snapshots, close

    /**
     * Fills an empty tree from {@code count} strictly ascending keys and their values (row-major,
     * {@code valueLongs} per key): leaves are filled as full as an even spread allows and branches
     * are built bottom-up, so the tree uses the fewest pages.
     *
     * @throws IllegalArgumentException when the tree is not empty or the keys are not strictly ascending.
     */
    public void bulkLoad(final long[] sortedKeys, final long[] valuesRowMajor, final int count)
    {
        if (size != 0)
        {
            throw new IllegalArgumentException("bulkLoad needs an empty tree; this one has " + size + " entries");
        }
        if (count < 0 || count > sortedKeys.length || (long)count * valueLongs > valuesRowMajor.length)
        {
            throw new IllegalArgumentException("bulkLoad count " + count + " exceeds the arrays given");
        }
        for (int i = 0; i < count; i++)
        {
            if (sortedKeys[i] == NO_KEY || (i > 0 && sortedKeys[i] <= sortedKeys[i - 1]))
            {
                throw new IllegalArgumentException(
                    "bulkLoad keys must be strictly ascending and not Long.MIN_VALUE (index " + i + ")");
            }
        }
        if (count == 0)
        {
            return;
        }
        modCount++;
        TreeReads.releaseTree(store, root);
        pageCount = 0;

        int nodes = (count + leafCapacity - 1) / leafCapacity;
        long[] ids = new long[nodes];
        long[] firstKeys = new long[nodes];
        int from = 0;
        for (int i = 0; i < nodes; i++)
        {
            final int entries = count / nodes + (i < count % nodes ? 1 : 0);
            final long id = store.allocate();
            final long leaf = store.writeAddress(id);
            PageDescriptor.initLeaf(leaf, id, valueLongs);
            MemorySegment.copy(sortedKeys, from, MEMORY, LONG, leaf + KEYS_OFFSET, entries);
            MemorySegment.copy(valuesRowMajor, from * valueLongs, MEMORY, LONG, leaf + valuesOffset, entries * valueLongs);
            PageDescriptor.count(leaf, entries);
            ids[i] = id;
            firstKeys[i] = sortedKeys[from];
            from += entries;
        }
        pageCount += nodes;
        int level = 1;
        while (nodes > 1)
        {
            final int parents = (nodes + branchCapacity) / (branchCapacity + 1);
            final long[] parentIds = new long[parents];
            final long[] parentFirstKeys = new long[parents];
            int next = 0;
            for (int i = 0; i < parents; i++)
            {
                final int children = nodes / parents + (i < nodes % parents ? 1 : 0);
                final long id = store.allocate();
                final long branch = store.writeAddress(id);
                PageDescriptor.initBranch(branch, id, level, valueLongs);
                for (int c = 0; c < children; c++)
                {
                    PageDescriptor.child(branch, c, ids[next + c]);
                    if (c > 0)
                    {
                        PageDescriptor.key(branch, c - 1, firstKeys[next + c]);
                    }
                }
                PageDescriptor.count(branch, children - 1);
                parentIds[i] = id;
                parentFirstKeys[i] = firstKeys[next];
                next += children;
            }
            pageCount += parents;
            ids = parentIds;
            firstKeys = parentFirstKeys;
            nodes = parents;
            level++;
        }
        root = ids[0];
        size = count;
        writeSize();
    }

    /**
     * An O(1) read-only view of the tree as it is now, unaffected by later changes; close it to
     * release the pages only it still references.
     */
    public Snapshot snapshot()
    {
        store.retain(root);
        return new Snapshot(store, root, size, valueLongs);
    }

    /** Removes every entry, releasing the live tree's pages (snapshots keep theirs). */
    public void clear()
    {
        modCount++;
        TreeReads.releaseTree(store, root);
        initEmpty();
        writeSize();
    }

    /**
     * Closes this handle. The pages stay in the store (a stored tree is reopened with {@link #open});
     * call {@link #clear()} first to return them. A tree made by {@link #inMemory} closes its store,
     * so its snapshots must be closed first. Idempotent.
     */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            if (ownsStore)
            {
                store.close();
            }
        }
    }

    // ------------------------------------------------------------------ checks for tests

    /** Walks the whole tree and throws when an invariant does not hold; returns the entry count. */
    long checkInvariants()
    {
        final long rootPage = store.readAddress(root);
        final long entries = checkSubtree(root, level(rootPage), Long.MIN_VALUE, Long.MAX_VALUE, true);
        if (entries != size)
        {
            throw new IllegalStateException("size " + size + " but " + entries + " entries");
        }
        if (PageDescriptor.treeSize(rootPage) != size)
        {
            throw new IllegalStateException("root header size " + PageDescriptor.treeSize(rootPage) + " != " + size);
        }
        final long pages = TreeReads.countPages(store, root);
        if (pages != pageCount)
        {
            throw new IllegalStateException("pageCount " + pageCount + " but " + pages + " pages reachable");
        }
        return entries;
    }

    private long checkSubtree(final long pageId, final int level, final long low, final long high, final boolean isRoot)
    {
        final long page = store.readAddress(pageId);
        if (level(page) != level)
        {
            throw new IllegalStateException("page " + pageId + " level " + level(page) + " expected " + level);
        }
        if (store.refCount(pageId) < 1)
        {
            throw new IllegalStateException("page " + pageId + " reachable but free");
        }
        final int count = count(page);
        final int capacity = level == 0 ? leafCapacity : branchCapacity;
        final int minimum = isRoot ? (level == 0 ? 0 : 1) : 1;
        if (count < minimum || count > capacity)
        {
            throw new IllegalStateException("page " + pageId + " count " + count + " outside [" + minimum + ", " + capacity + "]");
        }
        for (int i = 0; i < count; i++)
        {
            final long k = key(page, i);
            if (k < low || (high != Long.MAX_VALUE && k >= high) || (i > 0 && k <= key(page, i - 1)))
            {
                throw new IllegalStateException("page " + pageId + " key " + k + " out of order or bounds");
            }
        }
        if (level == 0)
        {
            return count;
        }
        long entries = 0;
        for (int i = 0; i <= count; i++)
        {
            final long childLow = i == 0 ? low : key(page, i - 1);
            final long childHigh = i == count ? high : key(page, i);
            entries += checkSubtree(child(page, i), level - 1, childLow, childHigh, false);
        }
        return entries;
    }
}
