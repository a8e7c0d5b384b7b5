package io.presync.btree;

/**
 * The ordered map an {@link ExtentMap} keeps its extents in: key = start, value = (end, payload).
 * Package-private seam so the extent logic is written once over the off-heap {@link BTree}, its
 * read-only {@link Snapshot}s, and an on-heap double in the tests.
 */
interface ExtentStore extends AutoCloseable
{
    /** Sentinel for "no such key". */
    long NO_KEY = BTree.NO_KEY;

    long floorKey(long key);

    long lowerKey(long key);

    long ceilingKey(long key);

    long higherKey(long key);

    /** Fills valueOut[0] = end, valueOut[1] = payload; false when the key is absent. */
    boolean get(long key, long[] valueOut);

    void put(long key, long end, long payload);

    boolean remove(long key);

    long size();

    /** An ordered cursor positioned before the first key {@code >= fromKey}. */
    Cursor cursor(long fromKey);

    long bytesInUse();

    /** Whether put/remove are refused (snapshot views). */
    boolean readOnly();

    @Override
    void close();
}
