package io.presync.btree;

import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/** On-heap {@link ExtentStore} over a {@link TreeMap}: the reference double for tests. */
final class HeapExtentStore implements ExtentStore
{
    /** Rough per-entry cost of a TreeMap entry with a boxed key and a long[2] value. */
    static final long BYTES_PER_ENTRY = 40 + 16 + 32;

    private final TreeMap<Long, long[]> map = new TreeMap<>();

    @Override
    public long floorKey(final long key)
    {
        final Long k = map.floorKey(key);
        return k == null ? NO_KEY : k;
    }

    @Override
    public long lowerKey(final long key)
    {
        final Long k = map.lowerKey(key);
        return k == null ? NO_KEY : k;
    }

    @Override
    public long ceilingKey(final long key)
    {
        final Long k = map.ceilingKey(key);
        return k == null ? NO_KEY : k;
    }

    @Override
    public long higherKey(final long key)
    {
        final Long k = map.higherKey(key);
        return k == null ? NO_KEY : k;
    }

    @Override
    public boolean get(final long key, final long[] valueOut)
    {
        final long[] v = map.get(key);
        if (v == null)
        {
            return false;
        }
        valueOut[0] = v[0];
        valueOut[1] = v[1];
        return true;
    }

    @Override
    public void put(final long key, final long end, final long payload)
    {
        map.put(key, new long[] {end, payload});
    }

    @Override
    public boolean remove(final long key)
    {
        return map.remove(key) != null;
    }

    @Override
    public long size()
    {
        return map.size();
    }

    @Override
    public Cursor cursor(final long fromKey)
    {
        return new Cursor()
        {
            private Iterator<Map.Entry<Long, long[]>> it = map.tailMap(fromKey, true).entrySet().iterator();
            private Map.Entry<Long, long[]> current;

            @Override
            public boolean next()
            {
                if (!it.hasNext())
                {
                    return false;
                }
                current = it.next();
                return true;
            }

            @Override
            public long key()
            {
                return current.getKey();
            }

            @Override
            public long value(final int index)
            {
                return current.getValue()[index];
            }

            @Override
            public void seek(final long from)
            {
                it = map.tailMap(from, true).entrySet().iterator();
            }
        };
    }

    @Override
    public long bytesInUse()
    {
        return map.size() * BYTES_PER_ENTRY;
    }

    @Override
    public boolean readOnly()
    {
        return false;
    }

    @Override
    public void close()
    {
        map.clear();
    }

    @Override
    public String toString()
    {
        final StringBuilder sb = new StringBuilder("{");
        for (final Map.Entry<Long, long[]> e : map.entrySet())
        {
            sb.append('[').append(e.getKey()).append(',').append(e.getValue()[0]).append(")=").append(e.getValue()[1]).append(' ');
        }
        return sb.append('}').toString();
    }
}
