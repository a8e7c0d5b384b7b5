package io.presync.btree;

/**
 * Non-overlapping byte ranges {@code [start, end)}, each with a small {@code long} payload, kept in a
 * {@link BTree} (key = start, value = end and payload: two value longs).
 *
 * <pre>
 *   insert [s, e) p:   ....[==a==)..[===b===)......        existing, payloads a and b
 *                            [====p====)                   new range
 *   result, p != a, b: ....[=a)[====p====)[=b)......       p wins over what it overlaps (split)
 *   result, p == a:    ....[=======p=======)[=b)......     touching or overlapping equal payloads merge
 * </pre>
 *
 * <ul>
 *   <li>{@link #insert} merges touching or overlapping neighbours with the same payload and splits
 *       extents with other payloads that it partially overwrites: the new payload wins.</li>
 *   <li>{@link #remove} cuts a range out, splitting extents it partially covers.</li>
 *   <li>{@link #totalBytes()} is maintained incrementally: O(1).</li>
 * </ul>
 * Operations allocate nothing (a value buffer and a scan cursor are reused), so a map is not
 * thread-safe: one owner thread, like its tree. Payloads are opaque longs; extents need {@code 0 <= start < end}.
 */
public final class ExtentMap implements AutoCloseable
{
    /** Returned by the probing methods when there is no such byte. */
    public static final long NONE = -1;

    private final ExtentStore store;
    private final long[] value = new long[2];
    private Cursor scanCursor;
    private long totalBytes;
    private boolean closed;

    /**
     * An extent map over {@code tree} (two value longs: end, payload), which may already hold extents
     * (a reopened tree): the total is counted once here. The map owns the tree and closes it.
     */
    public ExtentMap(final BTree tree)
    {
        this(new BTreeExtentStore(tree));
    }

    ExtentMap(final ExtentStore store)
    {
        this.store = store;
        long total = 0;
        final Cursor c = store.cursor(0);
        while (c.next())
        {
            total += c.value(0) - c.key();
        }
        this.totalBytes = total;
    }

    private ExtentMap(final ExtentStore store, final long totalBytes)
    {
        this.store = store;
        this.totalBytes = totalBytes;
    }

    /** An empty map over an off-heap tree in a memory page store of its own. */
    public static ExtentMap inMemory()
    {
        return new ExtentMap(new BTreeExtentStore(BTree.inMemory(2)), 0);
    }

    /**
     * Records {@code [startBytes, endBytes)} with the payload: equal-payload neighbours that touch or
     * overlap merge into one extent, other extents lose the overlapped part.
     */
    public void insert(final long startBytes, final long endBytes, final long payload)
    {
        checkRange(startBytes, endBytes);
        checkWritable();
        if (startBytes == endBytes)
        {
            return;
        }
        final ExtentStore store = this.store;
        final long[] v = value;
        long newStart = startBytes;
        long newEnd = endBytes;
        long total = totalBytes;

        final long left = store.lowerKey(startBytes);
        if (left != ExtentStore.NO_KEY)
        {
            store.get(left, v);
            final long leftEnd = v[0];
            final long leftPayload = v[1];
            if (leftPayload == payload)
            {
                if (leftEnd >= startBytes)
                {
                    if (leftEnd >= endBytes)
                    {
                        return;
                    }
                    newStart = left;
                    total -= leftEnd - left; // re-counted as part of the merged extent below
                }
            }
            else if (leftEnd > startBytes)
            {
                store.put(left, startBytes, leftPayload);
                total -= leftEnd - startBytes;
                if (leftEnd > endBytes)
                {
                    // The new range sits inside one extent: three pieces, nothing else can overlap.
                    store.put(endBytes, leftEnd, leftPayload);
                    store.put(startBytes, endBytes, payload);
                    totalBytes = total + (leftEnd - endBytes) + (endBytes - startBytes);
                    return;
                }
            }
        }

        long key = store.ceilingKey(startBytes);
        while (key != ExtentStore.NO_KEY && key <= endBytes)
        {
            store.get(key, v);
            final long end = v[0];
            final long p = v[1];
            if (p == payload)
            {
                store.remove(key);
                total -= end - key;
                if (end > newEnd)
                {
                    newEnd = end;
                }
            }
            else if (key == endBytes)
            {
                break; // touching, different payload: stays as it is
            }
            else
            {
                store.remove(key);
                total -= end - key;
                if (end > endBytes)
                {
                    store.put(endBytes, end, p);
                    total += end - endBytes;
                    break;
                }
            }
            key = store.ceilingKey(key);
        }
        store.put(newStart, newEnd, payload);
        totalBytes = total + (newEnd - newStart);
    }

    /** Cuts {@code [startBytes, endBytes)} out of the map, splitting extents it partially covers. */
    public void remove(final long startBytes, final long endBytes)
    {
        checkRange(startBytes, endBytes);
        checkWritable();
        if (startBytes == endBytes)
        {
            return;
        }
        final ExtentStore store = this.store;
        final long[] v = value;
        long total = totalBytes;

        final long left = store.lowerKey(startBytes);
        if (left != ExtentStore.NO_KEY)
        {
            store.get(left, v);
            final long leftEnd = v[0];
            final long leftPayload = v[1];
            if (leftEnd > startBytes)
            {
                store.put(left, startBytes, leftPayload);
                total -= leftEnd - startBytes;
                if (leftEnd > endBytes)
                {
                    store.put(endBytes, leftEnd, leftPayload);
                    totalBytes = total + (leftEnd - endBytes);
                    return;
                }
            }
        }

        long key = store.ceilingKey(startBytes);
        while (key != ExtentStore.NO_KEY && key < endBytes)
        {
            store.get(key, v);
            final long end = v[0];
            store.remove(key);
            total -= end - key;
            if (end > endBytes)
            {
                store.put(endBytes, end, v[1]);
                total += end - endBytes;
                break;
            }
            key = store.ceilingKey(key);
        }
        totalBytes = total;
    }

    /** Sum of the lengths of all extents, O(1). */
    public long totalBytes()
    {
        return totalBytes;
    }

    /** Number of extents. */
    public long extentCount()
    {
        return store.size();
    }

    /** Bytes the underlying tree occupies. */
    public long bytesInUse()
    {
        return store.bytesInUse();
    }

    /** Bytes of {@code [startBytes, endBytes)} covered by extents. */
    public long coveredBytes(final long startBytes, final long endBytes)
    {
        checkRange(startBytes, endBytes);
        final Cursor c = scan(startBytes);
        long covered = 0;
        while (c.next())
        {
            final long key = c.key();
            if (key >= endBytes)
            {
                break;
            }
            final long from = Math.max(key, startBytes);
            final long to = Math.min(c.value(0), endBytes);
            if (to > from)
            {
                covered += to - from;
            }
        }
        return covered;
    }

    /**
     * Finds the first extent that ends after {@code fromBytes} (the one containing it, or the next
     * one) and writes its start, end and payload into {@code extentOut[0..2]}; false when none.
     */
    public boolean firstEndingAfter(final long fromBytes, final long[] extentOut)
    {
        final ExtentStore store = this.store;
        final long[] v = value;
        long key = store.floorKey(fromBytes);
        if (key != ExtentStore.NO_KEY)
        {
            store.get(key, v);
            if (v[0] > fromBytes)
            {
                extentOut[0] = key;
                extentOut[1] = v[0];
                extentOut[2] = v[1];
                return true;
            }
            key = store.higherKey(key);
        }
        else
        {
            key = store.ceilingKey(fromBytes);
        }
        if (key == ExtentStore.NO_KEY)
        {
            return false;
        }
        store.get(key, v);
        extentOut[0] = key;
        extentOut[1] = v[0];
        extentOut[2] = v[1];
        return true;
    }

    /** The smallest covered byte at or after {@code fromBytes}, or {@link #NONE}. */
    public long nextCovered(final long fromBytes)
    {
        final ExtentStore store = this.store;
        final long[] v = value;
        final long key = store.floorKey(fromBytes);
        if (key != ExtentStore.NO_KEY)
        {
            store.get(key, v);
            if (v[0] > fromBytes)
            {
                return fromBytes;
            }
        }
        final long next = store.higherKey(fromBytes);
        return next == ExtentStore.NO_KEY ? NONE : next;
    }

    /**
     * The largest {@code x <= toBytes} such that byte {@code x - 1} is covered (the end of the last
     * covered byte before {@code toBytes}), or {@link #NONE}.
     */
    public long previousCoveredEnd(final long toBytes)
    {
        final long key = store.lowerKey(toBytes);
        if (key == ExtentStore.NO_KEY)
        {
            return NONE;
        }
        store.get(key, value);
        return Math.min(value[0], toBytes);
    }

    /**
     * Hands every extent intersecting {@code [startBytes, endBytes)} to the consumer, clipped to the
     * range, in ascending order. The consumer must not change this map.
     */
    public void forEachIntersecting(final long startBytes, final long endBytes, final ExtentConsumer consumer)
    {
        checkRange(startBytes, endBytes);
        final Cursor c = scan(startBytes);
        while (c.next())
        {
            final long key = c.key();
            if (key >= endBytes)
            {
                break;
            }
            final long from = Math.max(key, startBytes);
            final long to = Math.min(c.value(0), endBytes);
            if (to > from)
            {
                consumer.accept(from, to, c.value(1));
            }
        }
    }

    /** Ordered cursor over the extents that end after {@code fromBytes} (not clipped). */
    public ExtentCursor cursor(final long fromBytes)
    {
        return new StoreCursor(store.cursor(firstKeyEndingAfter(fromBytes)));
    }

    /**
     * A read-only view of this map as it is now, unaffected by later changes: an O(1) snapshot of the
     * tree. Close it to release the pages only it still holds.
     */
    public ExtentMap snapshotView()
    {
        if (!(store instanceof BTreeExtentStore live))
        {
            throw new UnsupportedOperationException("only an ExtentMap over a live BTree has snapshot views");
        }
        return new ExtentMap(new SnapshotExtentStore(live.tree().snapshot()), totalBytes);
    }

    /** The scan cursor, positioned before the extent containing {@code fromBytes} or the next one. */
    private Cursor scan(final long fromBytes)
    {
        final long key = firstKeyEndingAfter(fromBytes);
        Cursor c = scanCursor;
        if (c == null)
        {
            c = store.cursor(key);
            scanCursor = c;
        }
        else
        {
            c.seek(key);
        }
        return c;
    }

    /** Start of the extent containing {@code fromBytes} when there is one, else {@code fromBytes}. */
    private long firstKeyEndingAfter(final long fromBytes)
    {
        final long key = store.floorKey(fromBytes);
        if (key != ExtentStore.NO_KEY)
        {
            store.get(key, value);
            if (value[0] > fromBytes)
            {
                return key;
            }
        }
        return fromBytes;
    }

    /** Idempotent; releases the tree. */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            store.close();
        }
    }

    @Override
    public String toString()
    {
        final StringBuilder sb = new StringBuilder("ExtentMap{");
        final ExtentCursor c = cursor(0);
        while (c.next())
        {
            sb.append('[').append(c.start()).append(", ").append(c.end()).append(")=").append(c.payload()).append(' ');
        }
        return sb.append('}').toString();
    }

    private void checkWritable()
    {
        if (store.readOnly())
        {
            throw new UnsupportedOperationException("this ExtentMap is a read-only snapshot view");
        }
    }

    private static void checkRange(final long startBytes, final long endBytes)
    {
        if (startBytes < 0 || endBytes < startBytes)
        {
            throw new IllegalArgumentException("bad range [" + startBytes + ", " + endBytes + ")");
        }
    }

    /** Extent view of a tree cursor. */
    private static final class StoreCursor implements ExtentCursor
    {
        private final Cursor cursor;

        StoreCursor(final Cursor cursor)
        {
            this.cursor = cursor;
        }

        @Override
        public boolean next()
        {
            return cursor.next();
        }

        @Override
        public long start()
        {
            return cursor.key();
        }

        @Override
        public long end()
        {
            return cursor.value(0);
        }

        @Override
        public long payload()
        {
            return cursor.value(1);
        }
    }
}
