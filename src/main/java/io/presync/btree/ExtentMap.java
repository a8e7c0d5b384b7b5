package io.presync.btree;

/**
 * Non-overlapping byte ranges {@code [start, end)}, each with a small {@code long} payload, kept in a
 * B+tree (key = start, value = end and payload, two value longs).
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
 * Operations allocate nothing (a reusable value buffer is held per map), so a map is not thread-safe:
 * one owner thread. Payloads are opaque longs; extents need {@code 0 <= start < end}.
 */
public final class ExtentMap implements AutoCloseable
{
    /** Returned by the probing methods when there is no such byte. */
    public static final long NONE = -1;

    private final ExtentStore store;
    private final long[] value = new long[2];
    private long totalBytes;
    private boolean closed;

    ExtentMap(final ExtentStore store)
    {
        this.store = store;
        long total = 0;
        long key = store.ceilingKey(0);
        while (key != ExtentStore.NO_KEY)
        {
            store.get(key, value);
            total += value[0] - key;
            key = store.higherKey(key);
        }
        this.totalBytes = total;
    }

    private ExtentMap(final ExtentStore store, final long totalBytes)
    {
        this.store = store;
        this.totalBytes = totalBytes;
    }

    /** A map over an on-heap ordered map (used until the off-heap tree is wired in). */
    public static ExtentMap inMemory()
    {
        return new ExtentMap(new HeapExtentStore(), 0);
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
        final ExtentStore store = this.store;
        final long[] v = value;
        long covered = 0;
        long key = store.floorKey(startBytes);
        if (key == ExtentStore.NO_KEY)
        {
            key = store.ceilingKey(startBytes);
        }
        while (key != ExtentStore.NO_KEY && key < endBytes)
        {
            store.get(key, v);
            final long from = Math.max(key, startBytes);
            final long to = Math.min(v[0], endBytes);
            if (to > from)
            {
                covered += to - from;
            }
            key = store.higherKey(key);
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
        final ExtentStore store = this.store;
        final long[] v = value;
        long key = store.floorKey(startBytes);
        if (key == ExtentStore.NO_KEY)
        {
            key = store.ceilingKey(startBytes);
        }
        while (key != ExtentStore.NO_KEY && key < endBytes)
        {
            store.get(key, v);
            final long from = Math.max(key, startBytes);
            final long to = Math.min(v[0], endBytes);
            final long payload = v[1];
            if (to > from)
            {
                consumer.accept(from, to, payload);
            }
            key = store.higherKey(key);
        }
    }

    /** Ordered cursor over the extents that end after {@code fromBytes} (not clipped). */
    public ExtentCursor cursor(final long fromBytes)
    {
        return new StoreCursor(store, fromBytes);
    }

    /**
     * A read-only view of this map as it is now. The current implementation copies into an on-heap
     * store; over the off-heap tree it is an O(1) tree snapshot.
     */
    public ExtentMap snapshotView()
    {
        final HeapExtentStore copy = new HeapExtentStore();
        final long[] v = new long[2];
        long key = store.ceilingKey(0);
        while (key != ExtentStore.NO_KEY)
        {
            store.get(key, v);
            copy.put(key, v[0], v[1]);
            key = store.higherKey(key);
        }
        return new ExtentMap(new ReadOnlyStore(copy), totalBytes);
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

    /** Cursor over any store by key navigation. */
    private static final class StoreCursor implements ExtentCursor
    {
        private final ExtentStore store;
        private final long[] v = new long[2];
        private long nextKey;
        private long start;
        private long end;
        private long payload;

        StoreCursor(final ExtentStore store, final long fromBytes)
        {
            this.store = store;
            long key = store.floorKey(fromBytes);
            if (key != ExtentStore.NO_KEY)
            {
                store.get(key, v);
                if (v[0] <= fromBytes)
                {
                    key = store.higherKey(key);
                }
            }
            else
            {
                key = store.ceilingKey(fromBytes);
            }
            this.nextKey = key;
        }

        @Override
        public boolean next()
        {
            if (nextKey == ExtentStore.NO_KEY)
            {
                return false;
            }
            store.get(nextKey, v);
            start = nextKey;
            end = v[0];
            payload = v[1];
            nextKey = store.higherKey(nextKey);
            return true;
        }

        @Override
        public long start()
        {
            return start;
        }

        @Override
        public long end()
        {
            return end;
        }

        @Override
        public long payload()
        {
            return payload;
        }
    }

    /** Refuses changes; used for snapshot views. */
    private record ReadOnlyStore(ExtentStore delegate) implements ExtentStore
    {
        @Override
        public long floorKey(final long key)
        {
            return delegate.floorKey(key);
        }

        @Override
        public long lowerKey(final long key)
        {
            return delegate.lowerKey(key);
        }

        @Override
        public long ceilingKey(final long key)
        {
            return delegate.ceilingKey(key);
        }

        @Override
        public long higherKey(final long key)
        {
            return delegate.higherKey(key);
        }

        @Override
        public boolean get(final long key, final long[] valueOut)
        {
            return delegate.get(key, valueOut);
        }

        @Override
        public void put(final long key, final long end, final long payload)
        {
            throw new UnsupportedOperationException("read-only");
        }

        @Override
        public boolean remove(final long key)
        {
            throw new UnsupportedOperationException("read-only");
        }

        @Override
        public long size()
        {
            return delegate.size();
        }

        @Override
        public long bytesInUse()
        {
            return delegate.bytesInUse();
        }

        @Override
        public boolean readOnly()
        {
            return true;
        }

        @Override
        public void close()
        {
            delegate.close();
        }
    }
}
