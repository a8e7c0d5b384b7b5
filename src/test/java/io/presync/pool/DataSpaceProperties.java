package io.presync.pool;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

import static io.presync.pool.PartitionTest.BLOCK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The free data space allocator against a bit-per-block model, and the partition's copy-on-write /
 * deferred-free behaviour against a byte-array model of the committed and current contents.
 */
class DataSpaceProperties
{
    private static final int BLOCKS = 256;

    record Op(int kind, int a, int b)
    {
    }

    @Provide
    Arbitrary<List<Op>> ops()
    {
        final Arbitrary<Op> op = Combinators.combine(
            Arbitraries.integers().between(0, 3), Arbitraries.integers().between(0, BLOCKS - 1), Arbitraries.integers().between(1, 40))
            .as(Op::new);
        return op.list().ofMinSize(1).ofMaxSize(80);
    }

    @Property(tries = 300)
    void freeDataSpaceBehavesLikeABitPerBlockModel(@ForAll("ops") final List<Op> ops)
    {
        final BitSet free = new BitSet();
        try (FreeDataSpace space = new FreeDataSpace())
        {
            space.free(0, (long)BLOCKS * BLOCK);
            free.set(0, BLOCKS);
            for (final Op op : ops)
            {
                final int length = Math.min(op.b(), BLOCKS - op.a());
                switch (op.kind())
                {
                    case 0 ->
                    {
                        // Allocate, maybe continuing at a hint: the run must have been free, and be the best fit.
                        final long hint = op.a() % 2 == 0 ? (long)op.a() * BLOCK : -1;
                        final int bestStart = bestFit(free, op.b());
                        final long start = space.allocate((long)op.b() * BLOCK, hint);
                        if (free.isEmpty())
                        {
                            assertEquals(-1, start);
                            break;
                        }
                        final int s = (int)(start / BLOCK);
                        final int n = (int)(space.lastLength() / BLOCK);
                        assertTrue(n >= 1 && n <= op.b());
                        assertEquals(s + n, free.nextClearBit(s) < s + n ? -1 : s + n, "the run was free");
                        if (!(hint >= 0 && free.get(op.a())))
                        {
                            if (bestStart >= 0)
                            {
                                assertEquals(bestStart, s, "best fit");
                                assertEquals(op.b(), n);
                            }
                            else
                            {
                                assertEquals(largestRun(free), n, "the largest extent when none fits");
                            }
                        }
                        free.clear(s, s + n);
                    }
                    case 1 ->
                    {
                        // Free a run: a double free is refused and changes nothing.
                        final boolean anyFree = free.nextSetBit(op.a()) >= 0 && free.nextSetBit(op.a()) < op.a() + length;
                        if (anyFree)
                        {
                            assertThrows(IllegalStateException.class, () -> space.free((long)op.a() * BLOCK, (long)length * BLOCK));
                        }
                        else
                        {
                            space.free((long)op.a() * BLOCK, (long)length * BLOCK);
                            free.set(op.a(), op.a() + length);
                        }
                    }
                    case 2 ->
                    {
                        final long taken = space.takeAt((long)op.a() * BLOCK, (long)length * BLOCK);
                        final int run = free.get(op.a()) ? Math.min(length, free.nextClearBit(op.a()) - op.a()) : 0;
                        assertEquals((long)run * BLOCK, taken);
                        free.clear(op.a(), op.a() + run);
                    }
                    default ->
                    {
                        final int expected = free.get(op.a()) ? free.nextClearBit(op.a()) - op.a() : 0;
                        assertEquals((long)expected * BLOCK, space.freeRunAt((long)op.a() * BLOCK));
                    }
                }
                assertEquals((long)free.cardinality() * BLOCK, space.freeBytes());
                final BitSet actual = new BitSet();
                for (final long[] e : space.extents())
                {
                    actual.set((int)(e[0] / BLOCK), (int)((e[0] + e[1]) / BLOCK));
                }
                assertEquals(free, actual);
                assertEquals(runs(free), space.extentCount(), "coalesced");
            }
        }
    }

    private static int bestFit(final BitSet free, final int length)
    {
        int best = -1;
        int bestLength = Integer.MAX_VALUE;
        for (int s = free.nextSetBit(0); s >= 0; s = free.nextSetBit(free.nextClearBit(s)))
        {
            final int n = free.nextClearBit(s) - s;
            if (n >= length && n < bestLength)
            {
                best = s;
                bestLength = n;
            }
        }
        return best;
    }

    private static int largestRun(final BitSet free)
    {
        int largest = 0;
        for (int s = free.nextSetBit(0); s >= 0; s = free.nextSetBit(free.nextClearBit(s)))
        {
            largest = Math.max(largest, free.nextClearBit(s) - s);
        }
        return largest;
    }

    private static int runs(final BitSet free)
    {
        int runs = 0;
        for (int s = free.nextSetBit(0); s >= 0; s = free.nextSetBit(free.nextClearBit(s)))
        {
            runs++;
        }
        return runs;
    }

    @Provide
    Arbitrary<List<Op>> partitionOps()
    {
        final Arbitrary<Op> op = Combinators.combine(
            Arbitraries.integers().between(0, 9), Arbitraries.integers().between(0, 127), Arbitraries.integers().between(1, 24))
            .as(Op::new);
        return op.list().ofMinSize(1).ofMaxSize(60);
    }

    /**
     * Writes, overwrites, discards, commits and reopens in a small partition: reads always show the current
     * model, a reopen shows the committed one, and free, mapped, tree, deferred and job-state space tile
     * the data space exactly (so deferred space is neither lost nor reused before its commit).
     */
    @Property(tries = 40)
    void copyOnWriteAndDeferredFreesKeepTheLastCommitAndTheSpace(@ForAll("partitionOps") final List<Op> ops) throws Exception
    {
        final int logical = 128 * BLOCK;
        final MemoryPoolIo io = new MemoryPoolIo(4 << 20);
        PartitionTest.Model current = new PartitionTest.Model(logical);
        PartitionTest.Model committed = current.copy();
        try (Pool pool = Pool.create(io, new Pool.CreateOptions(64 << 10, 2, false), 1); Arena arena = Arena.ofConfined())
        {
            pool.allocate("vm", MasterIdentity.of("vm", logical), 768 << 10);
            Partition p = pool.openPartition("vm");
            try
            {
                final MemorySegment buffer = arena.allocate(24 * BLOCK, BLOCK);
                int stamp = 0;
                for (final Op op : ops)
                {
                    final int blocks = Math.min(op.b(), 128 - op.a());
                    final long offset = (long)op.a() * BLOCK;
                    // A write or discard short of space commits first (to reclaim deferred space): the
                    // model as it was before the change is then the committed one.
                    final long generation = pool.info().generation();
                    final PartitionTest.Model before = current.copy();
                    if (op.kind() <= 5)
                    {
                        final byte[] data = new byte[blocks * BLOCK];
                        Arrays.fill(data, (byte)++stamp);
                        MemorySegment.copy(data, 0, buffer, ValueLayout.JAVA_BYTE, 0, data.length);
                        p.write(offset, buffer.asSlice(0, data.length));
                        current.write(offset, data);
                    }
                    else if (op.kind() == 6)
                    {
                        p.discard(offset, (long)blocks * BLOCK);
                        Arrays.fill(current.bytes, (int)offset, (int)offset + blocks * BLOCK, (byte)0);
                        current.written.clear(op.a(), op.a() + blocks);
                    }
                    else if (op.kind() <= 8)
                    {
                        p.setJobState(new byte[op.b() * 1000]);
                        p.commit();
                        committed = current.copy();
                    }
                    else
                    {
                        // Reopen without committing: back to the last commit.
                        p.close();
                        p = pool.openPartition("vm");
                        current = committed.copy();
                    }
                    if (op.kind() <= 6 && pool.info().generation() != generation)
                    {
                        committed = before;
                    }
                    p.checkSpace();
                    PartitionTest.assertMatches(p, current);
                }
            }
            finally
            {
                p.close();
            }
        }
    }
}
