package io.presync.stream;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.util.BitSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Both allocation maps against a BitSet of 4 KiB blocks. */
class AllocationMapProperties
{
    record Op(int kind, int startBlock, int blocks)
    {
    }

    @Property(tries = 200)
    void bothMapsMatchAModel(
        @ForAll @Size(max = 60) final List<@IntRange(min = 0, max = 2) Integer> kinds,
        @ForAll @Size(max = 60) final List<@IntRange(min = 0, max = 70000) Integer> starts,
        @ForAll @Size(max = 60) final List<@IntRange(min = 1, max = 300) Integer> lengths)
    {
        final BitSet model = new BitSet();
        try (AllocationMap bitmap = new BlockBitmap(); AllocationMap extents = new ExtentAllocationMap())
        {
            final int n = Math.min(kinds.size(), Math.min(starts.size(), lengths.size()));
            for (int i = 0; i < n; i++)
            {
                final long start = (long)starts.get(i) << 12;
                final long end = start + ((long)lengths.get(i) << 12);
                final long expected = model.get(starts.get(i), starts.get(i) + lengths.get(i)).cardinality() * 4096L;
                assertEquals(expected, bitmap.coveredBytes(start, end));
                assertEquals(expected, extents.coveredBytes(start, end));
                switch (kinds.get(i))
                {
                    case 0, 1 ->
                    {
                        model.set(starts.get(i), starts.get(i) + lengths.get(i));
                        bitmap.insert(start, end);
                        extents.insert(start, end);
                    }
                    default ->
                    {
                        model.clear(starts.get(i), starts.get(i) + lengths.get(i));
                        bitmap.remove(start, end);
                        extents.remove(start, end);
                    }
                }
            }
            final long all = 1L << 32;
            assertEquals(model.cardinality() * 4096L, bitmap.coveredBytes(0, all));
            assertEquals(model.cardinality() * 4096L, extents.coveredBytes(0, all));
        }
    }
}
