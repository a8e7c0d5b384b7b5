package io.presync.btree;

/** {@link ExtentStore} over a live {@link BTree} with two value longs (end, payload). */
final class BTreeExtentStore implements ExtentStore
{
    private final BTree tree;

    BTreeExtentStore(final BTree tree)
    {
        if (tree.valueLongs() != 2)
        {
            throw new IllegalArgumentException("an ExtentMap needs a tree with 2 value longs, not " + tree.valueLongs());
        }
        this.tree = tree;
    }

    BTree tree()
    {
        return tree;
    }

    @Override
    public long floorKey(final long key)
    {
        return tree.floorKey(key);
    }

    @Override
    public long lowerKey(final long key)
    {
        return tree.lowerKey(key);
    }

    @Override
    public long ceilingKey(final long key)
    {
        return tree.ceilingKey(key);
    }

    @Override
    public long higherKey(final long key)
    {
        return tree.higherKey(key);
    }

    @Override
    public boolean get(final long key, final long[] valueOut)
    {
        return tree.get(key, valueOut);
    }

    @Override
    public void put(final long key, final long end, final long payload)
    {
        tree.put(key, end, payload);
    }

    @Override
    public boolean remove(final long key)
    {
        return tree.remove(key);
    }

    @Override
    public long size()
    {
        return tree.size();
    }

    @Override
    public Cursor cursor(final long fromKey)
    {
        return tree.cursor(fromKey);
    }

    @Override
    public long bytesInUse()
    {
        return tree.bytesInUse();
    }

    @Override
    public boolean readOnly()
    {
        return false;
    }

    @Override
    public void close()
    {
        tree.close();
    }
}
