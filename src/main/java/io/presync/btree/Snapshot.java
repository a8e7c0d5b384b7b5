package io.presync.btree;

/**
 * A read-only, copy-on-write view of a {@link BTree} at the moment {@link BTree#snapshot()} was
 * called. The live tree copies any page it shares with a snapshot before changing it, so the view
 * never changes. {@link #close()} drops the snapshot's reference to its root and frees every page no
 * longer referenced by the tree or another snapshot; idempotent. Same thread rules as the tree.
 */
public final class Snapshot implements AutoCloseable
{
    private final PageStore store;
    private final long root;
    private final long size;
    private final int valueLongs;
    private final int valuesOffset;
    private boolean closed;

    Snapshot(final PageStore store, final long root, final long size, final int valueLongs)
    {
        this.store = store;
        this.root = root;
        this.size = size;
        this.valueLongs = valueLongs;
        this.valuesOffset = PageDescriptor.leafValuesOffset(valueLongs);
    }

    /** Entries in the snapshot. */
    public long size()
    {
        return size;
    }

    /** Longs per value. */
    public int valueLongs()
    {
        return valueLongs;
    }

    /** The snapshot's root page. */
    public long rootPageId()
    {
        return root;
    }

    private void checkOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("snapshot is closed");
        }
    }

    /** Copies the value of {@code key} into {@code valueOut}; false when absent. */
    public boolean get(final long key, final long[] valueOut)
    {
        if (BTree.CHECKS)
        {
            checkOpen();
        }
        return TreeReads.get(store, root, valuesOffset, valueLongs, key, valueOut);
    }

    /** Whether the key is present. */
    public boolean containsKey(final long key)
    {
        return TreeReads.containsKey(store, root, key);
    }

    /** Greatest key {@code <= key}, or {@link BTree#NO_KEY}. */
    public long floorKey(final long key)
    {
        return TreeReads.floorKey(store, root, key);
    }

    /** Least key {@code >= key}, or {@link BTree#NO_KEY}. */
    public long ceilingKey(final long key)
    {
        return TreeReads.ceilingKey(store, root, key);
    }

    /** Greatest key {@code < key}, or {@link BTree#NO_KEY}. */
    public long lowerKey(final long key)
    {
        return TreeReads.lowerKey(store, root, key);
    }

    /** Least key {@code > key}, or {@link BTree#NO_KEY}. */
    public long higherKey(final long key)
    {
        return TreeReads.higherKey(store, root, key);
    }

    /** A cursor before the first key {@code >= fromKeyInclusive}, valid until the snapshot is closed. */
    public Cursor cursor(final long fromKeyInclusive)
    {
        checkOpen();
        final TreeCursor cursor = new TreeCursor(store, null, root, valueLongs);
        cursor.seek(fromKeyInclusive);
        return cursor;
    }

    /** Releases the snapshot's pages; idempotent. */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            TreeReads.releaseTree(store, root);
        }
    }
}
