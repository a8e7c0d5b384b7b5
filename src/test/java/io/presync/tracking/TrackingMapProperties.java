package io.presync.tracking;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * TrackingMap against a per-4 KiB-block model under random interleavings of mark, nextBatch, clear,
 * copy cycles, settle and markHot.
 *
 * <p>The model keeps per block the last write seq and whether it is truly dirty (written after its
 * last clearing copy began), and a granule-level bound: a block is "coarsely dirty" with seq cs when a
 * write with seq cs went into its granule and no clear covering the block had readStartSeq above cs.
 * Properties: every truly dirty block is reported (never lose a dirty block); every reported block is
 * coarsely dirty (over-reporting only inside a granule that took a write the copy may have missed);
 * with fine tracking everywhere (whole-granule mode, promotion on the first write) and no settling,
 * reported = truly dirty exactly.
 */
class TrackingMapProperties
{
    static final int GRANULE = 64 * 1024;
    static final int GRANULES = 24;
    static final int BLOCKS_PER_GRANULE = GRANULE / TrackingMap.BLOCK_BYTES;
    static final int BLOCKS = GRANULES * BLOCKS_PER_GRANULE;
    static final long SPACE = (long)BLOCKS * TrackingMap.BLOCK_BYTES;

    /** kind: 0-4 mark, 5 clear, 6 nextBatch, 7 copy cycle, 8 settle, 9 markHot/unmarkHot. */
    record Op(int kind, long a, long b, int c)
    {
    }

    @Provide
    Arbitrary<List<Op>> ops()
    {
        final Arbitrary<Op> op = Combinators.combine(
            Arbitraries.integers().between(0, 9),
            Arbitraries.longs().between(0, SPACE - 1),
            Arbitraries.oneOf(Arbitraries.longs().between(1, 20_000), Arbitraries.longs().between(1, 300_000)),
            Arbitraries.integers().between(0, 1000)).as(Op::new);
        return op.list().ofMinSize(1).ofMaxSize(80);
    }

    /** promoteAfterWrites 0 (coarse only), 1 (fine everywhere), 3 (hierarchical); spans on or off. */
    @Property(tries = 400)
    void neverLosesADirtyBlock(
        @ForAll("ops") final List<Op> ops,
        @ForAll @IntRange(min = 0, max = 2) final int promoteKind,
        @ForAll final boolean spans,
        @ForAll @IntRange(min = 0, max = 3) final int demoteMaxRuns,
        @ForAll final boolean capSeqArrays)
    {
        final int promote = promoteKind == 0 ? 0 : promoteKind == 1 ? 1 : 3;
        final Model model = new Model();
        final long[] now = {0};
        try (TrackingMap map = new TrackingMap(new TrackingMap.Context().granuleBytes(GRANULE)
            .promoteAfterWrites(promote).coarseSpans(spans).demoteMaxRuns(demoteMaxRuns)
            .maxSeqArrays(capSeqArrays ? 2 : 1024).nanoClock(() -> now[0])))
        {
            long seq = 0;
            boolean settled = false;
            for (final Op op : ops)
            {
                now[0] += 1 + op.c();
                switch (op.kind())
                {
                    case 0, 1, 2, 3, 4 ->
                    {
                        final long length = Math.min(op.b(), SPACE - op.a());
                        seq++;
                        map.mark(op.a(), length, seq);
                        model.mark(op.a(), length, seq);
                    }
                    case 5 ->
                    {
                        final long start = align(op.a());
                        final long end = Math.min(SPACE, start + align(op.b()) + TrackingMap.BLOCK_BYTES);
                        final long r = Math.max(0, seq + 1 - op.c() % 4);
                        map.clear(start, end, r);
                        model.clear(start, end, r);
                    }
                    case 6 ->
                    {
                        final long max = TrackingMap.BLOCK_BYTES * (1 + op.c() % 100);
                        checkBatch(map, model, max, op.c() % 2 == 0 ? RegionOrder.LBA : REVERSE);
                    }
                    case 7 ->
                    {
                        // A copy: take the batch, note readStartSeq, let writes land, then clear.
                        final long max = TrackingMap.BLOCK_BYTES * (1 + op.c() % 200);
                        final List<long[]> batch = new ArrayList<>();
                        map.nextBatch(RegionOrder.LBA, max, (s, e) -> batch.add(new long[] {s, e}));
                        final long r = seq + 1;
                        for (int i = 0; i < op.c() % 3; i++)
                        {
                            seq++;
                            final long off = (op.a() + i * 77_777L) % SPACE;
                            final long length = Math.min(8192, SPACE - off);
                            map.mark(off, length, seq);
                            model.mark(off, length, seq);
                        }
                        for (final long[] range : batch)
                        {
                            map.clear(range[0], range[1], r);
                            model.clear(range[0], range[1], r);
                        }
                    }
                    case 8 ->
                    {
                        map.settle(op.c() % 3 == 0 ? 0 : 500, now[0]);
                        settled = true;
                    }
                    default ->
                    {
                        final long start = op.a();
                        final long end = Math.min(SPACE, start + op.b());
                        if (op.c() % 3 == 0)
                        {
                            map.unmarkHot(start, end);
                        }
                        else
                        {
                            map.markHot(start, end);
                        }
                    }
                }
                check(map, model, promote == 1 && !spans && !settled && !capSeqArrays);
            }
            // Two unbounded batches (the rest of a pass, then a full one) cover every dirty block.
            final boolean[] handed = new boolean[BLOCKS];
            for (int i = 0; i < 2; i++)
            {
                map.nextBatch(RegionOrder.LBA, Long.MAX_VALUE, (s, e) -> markBlocks(handed, s, e));
            }
            for (int b = 0; b < BLOCKS; b++)
            {
                if (model.dirty[b] && !handed[b])
                {
                    fail("dirty block " + b + " was not handed out");
                }
            }
        }
    }

    /**
     * End to end: a copy of the whole space, then copy cycles from nextBatch while writes keep landing
     * between a batch's read and its clear, then a drain. The slave (the versions read at each copy's
     * read start) must equal the master, block for block.
     */
    @Property(tries = 150)
    void copyCyclesConverge(
        @ForAll("ops") final List<Op> ops,
        @ForAll @IntRange(min = 0, max = 2) final int promoteKind,
        @ForAll final boolean spans,
        @ForAll @IntRange(min = 0, max = 3) final int demoteMaxRuns,
        @ForAll final boolean capSeqArrays)
    {
        final int promote = promoteKind == 0 ? 0 : promoteKind == 1 ? 1 : 3;
        final long[] master = new long[BLOCKS];
        final long[] slave = new long[BLOCKS];
        try (TrackingMap map = new TrackingMap(new TrackingMap.Context()
            .granuleBytes(GRANULE).promoteAfterWrites(promote).coarseSpans(spans).demoteMaxRuns(demoteMaxRuns)
            .maxSeqArrays(capSeqArrays ? 1 : 1024).nanoClock(() -> 0)))
        {
            long seq = 0;
            final List<long[]> batch = new ArrayList<>();
            // Initial pass, 4 steps, each with writes landing during the read.
            final long step = SPACE / 4;
            int opIndex = 0;
            for (long pos = 0; pos < SPACE; pos += step)
            {
                final long r = seq + 1;
                copy(master, slave, pos, pos + step);
                for (int i = 0; i < 3 && opIndex < ops.size(); i++, opIndex++)
                {
                    seq = write(map, master, ops.get(opIndex), seq);
                }
                map.clear(pos, pos + step, r);
            }
            // Copy cycles with writes between read and clear, until the ops run out and all is clean.
            int rounds = 0;
            while (true)
            {
                batch.clear();
                final Op op = opIndex < ops.size() ? ops.get(opIndex) : null;
                final long max = TrackingMap.BLOCK_BYTES * (1 + (op == null ? 50 : op.c() % 64));
                final long got = map.nextBatch(RegionOrder.LBA, max, (s, e) -> batch.add(new long[] {s, e}));
                if (got == 0 && op == null)
                {
                    break;
                }
                final long r = seq + 1;
                for (final long[] range : batch)
                {
                    copy(master, slave, range[0], range[1]);
                }
                if (op != null)
                {
                    seq = write(map, master, op, seq);
                    opIndex++;
                    if (op.kind() == 8)
                    {
                        map.settle(0, 0);
                    }
                }
                for (final long[] range : batch)
                {
                    map.clear(range[0], range[1], r);
                }
                assertTrue(++rounds < 100_000, "copy does not converge");
            }
            assertEquals(0, map.dirtyBytes());
            assertTrue(Arrays.equals(master, slave), "slave differs from master");
        }
    }

    static long write(final TrackingMap map, final long[] master, final Op op, final long seq)
    {
        final long length = Math.min(op.b(), SPACE - op.a());
        final long next = seq + 1;
        map.mark(op.a(), length, next);
        for (long b = op.a() / TrackingMap.BLOCK_BYTES; b * TrackingMap.BLOCK_BYTES < op.a() + length; b++)
        {
            master[(int)b] = next;
        }
        return next;
    }

    static void copy(final long[] master, final long[] slave, final long start, final long end)
    {
        for (long b = start / TrackingMap.BLOCK_BYTES; b < end / TrackingMap.BLOCK_BYTES; b++)
        {
            slave[(int)b] = master[(int)b];
        }
    }

    static final RegionOrder REVERSE = g -> (int)(1000 - g);

    static long align(final long bytes)
    {
        return bytes & ~(long)(TrackingMap.BLOCK_BYTES - 1);
    }

    static void markBlocks(final boolean[] blocks, final long start, final long end)
    {
        assertEquals(0, start % TrackingMap.BLOCK_BYTES);
        assertEquals(0, end % TrackingMap.BLOCK_BYTES);
        assertTrue(start < end && end <= SPACE, "range " + start + ".." + end);
        for (long b = start / TrackingMap.BLOCK_BYTES; b < end / TrackingMap.BLOCK_BYTES; b++)
        {
            blocks[(int)b] = true;
        }
    }

    static boolean[] reported(final TrackingMap map)
    {
        final boolean[] reported = new boolean[BLOCKS];
        final long[] last = {-1};
        final long total = map.forEachDirty((s, e) ->
        {
            assertTrue(s > last[0], "ranges not ascending and disjoint/joined");
            last[0] = e;
            markBlocks(reported, s, e);
        });
        int count = 0;
        for (final boolean r : reported)
        {
            count += r ? 1 : 0;
        }
        assertEquals((long)count * TrackingMap.BLOCK_BYTES, total, "forEachDirty total");
        assertEquals(total, map.dirtyBytes(), "dirtyBytes");
        return reported;
    }

    static void check(final TrackingMap map, final Model model, final boolean exact)
    {
        final boolean[] reported = reported(map);
        for (int b = 0; b < BLOCKS; b++)
        {
            if (model.dirty[b] && !reported[b])
            {
                fail("lost dirty block " + b + " (last write seq " + model.lastWrite[b] + ")");
            }
            if (reported[b] && !model.coarseDirty[b])
            {
                fail("block " + b + " reported outside any granule with a possibly missed write");
            }
            if (exact && reported[b] != model.dirty[b])
            {
                fail("fine tracking everywhere should be exact at block " + b);
            }
        }
    }

    static void checkBatch(final TrackingMap map, final Model model, final long max, final RegionOrder order)
    {
        final boolean[] reported = reported(map);
        final List<long[]> ranges = new ArrayList<>();
        final long got = map.nextBatch(order, max, (s, e) -> ranges.add(new long[] {s, e}));
        long sum = 0;
        final boolean[] seen = new boolean[BLOCKS];
        for (final long[] r : ranges)
        {
            sum += r[1] - r[0];
            for (long b = r[0] / TrackingMap.BLOCK_BYTES; b < r[1] / TrackingMap.BLOCK_BYTES; b++)
            {
                assertTrue(reported[(int)b], "handed out a block that is not dirty: " + b);
                assertTrue(!seen[(int)b], "handed out a block twice in one batch: " + b);
                seen[(int)b] = true;
            }
        }
        assertEquals(sum, got);
        assertTrue(got <= max, "batch larger than maxBytes");
        if (map.dirtyBytes() > 0)
        {
            assertTrue(got > 0, "nothing handed out although dirty");
        }
    }

    /** Per-block truth plus the granule-level bound. */
    static final class Model
    {
        final long[] lastWrite = new long[BLOCKS];
        final boolean[] dirty = new boolean[BLOCKS];
        final boolean[] coarseDirty = new boolean[BLOCKS];
        final long[] coarseSeq = new long[BLOCKS];

        Model()
        {
            Arrays.fill(lastWrite, -1);
        }

        void mark(final long offset, final long length, final long seq)
        {
            if (length == 0)
            {
                return;
            }
            final int first = (int)(offset / TrackingMap.BLOCK_BYTES);
            final int end = (int)((offset + length + TrackingMap.BLOCK_BYTES - 1) / TrackingMap.BLOCK_BYTES);
            for (int b = first; b < end; b++)
            {
                lastWrite[b] = seq;
                dirty[b] = true;
            }
            for (int g = first / BLOCKS_PER_GRANULE; g <= (end - 1) / BLOCKS_PER_GRANULE; g++)
            {
                for (int b = g * BLOCKS_PER_GRANULE; b < (g + 1) * BLOCKS_PER_GRANULE; b++)
                {
                    coarseDirty[b] = true;
                    coarseSeq[b] = seq;
                }
            }
        }

        void clear(final long start, final long end, final long readStartSeq)
        {
            final long first = (start + TrackingMap.BLOCK_BYTES - 1) / TrackingMap.BLOCK_BYTES;
            final long last = end / TrackingMap.BLOCK_BYTES;
            for (long i = first; i < last; i++)
            {
                final int b = (int)i;
                if (dirty[b] && lastWrite[b] < readStartSeq)
                {
                    dirty[b] = false;
                }
                if (coarseDirty[b] && coarseSeq[b] < readStartSeq)
                {
                    coarseDirty[b] = false;
                }
            }
        }
    }
}
