package io.presync.btree;

/** Read-only {@link ExtentStore} over a {@link Snapshot}; closing it releases the snapshot's pages. */
final class SnapshotExtentStore implements ExtentStore
{
    private final Snapshot snapshot;

    SnapshotExtentStore(final Snapshot snapshot)
    {
        this.snapshot = snapshot;
    }

    @Override
    public long floorKey(final long key)
    {
        return snapshot.floorKey(key);
    }

    @Override
    public long lowerKey(final long key)
    {
        return snapshot.lowerKey(key);
    }

    @Override
    public long ceilingKey(final long key)
    {
        return snapshot.ceilingKey(key);
    }

    @Override
    public long higherKey(final long key)
    {
        return snapshot.higherKey(key);
    }

    @Override
    public boolean get(final long key, final long[] valueOut)
    {
        return snapshot.get(key, valueOut);
    }

    @Override
    public void put(final long key, final long end, final long payload)
    {
        throw new UnsupportedOperationException("this ExtentMap is a read-only snapshot view");
    }

    @Override
    public boolean remove(final long key)
    {
        throw new UnsupportedOperationException("this ExtentMap is a read-only snapshot view");
    }

    @Override
    public long size()
    {
        return snapshot.size();
    }

    @Override
    public Cursor cursor(final long fromKey)
    {
        return snapshot.cursor(fromKey);
    }

    /** Pages are shared with the live tree until it changes them; none are counted here. */
    @Override
    public long bytesInUse()
    {
        return 0;
    }

    @Override
    public boolean readOnly()
    {
        return true;
    }

    @Override
    public void close()
    {
        snapshot.close();
    }
}
