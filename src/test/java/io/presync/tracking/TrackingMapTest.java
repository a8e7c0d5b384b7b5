package io.presync.tracking;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrackingMapTest
{
    static final long MIB = 1L << 20;
    static final long KIB4 = TrackingMap.BLOCK_BYTES;

    static String dirty(final TrackingMap map)
    {
        final StringBuilder sb = new StringBuilder();
        map.forEachDirty((s, e) -> sb.append('[').append(s).append(',').append(e).append(") "));
        return sb.toString().trim();
    }

    static List<long[]> batch(final TrackingMap map, final RegionOrder order, final long max)
    {
        final List<long[]> ranges = new ArrayList<>();
        map.nextBatch(order, max, (s, e) -> ranges.add(new long[] {s, e}));
        return ranges;
    }

    static TrackingMap.Context context(final int promote, final boolean spans)
    {
        return new TrackingMap.Context().promoteAfterWrites(promote).coarseSpans(spans).maxSeqArrays(1024).nanoClock(() -> 0);
    }

    @Test
    void wholeGranuleModeDirtiesTheGranule()
    {
        try (TrackingMap map = new TrackingMap(context(0, false)))
        {
            map.mark(3 * MIB + 100, 512, 1);
            assertEquals("[" + 3 * MIB + "," + 4 * MIB + ")", dirty(map));
            assertEquals(MIB, map.dirtyBytes());
        }
    }

    @Test
    void spanModeKeepsTheBoundingSpan()
    {
        try (TrackingMap map = new TrackingMap(context(0, true)))
        {
            map.mark(3 * MIB + 100, 512, 1);
            assertEquals("[" + 3 * MIB + "," + (3 * MIB + KIB4) + ")", dirty(map));
            map.mark(3 * MIB + 10 * KIB4, KIB4, 2);
            assertEquals("[" + 3 * MIB + "," + (3 * MIB + 11 * KIB4) + ")", dirty(map));
            assertEquals(1, map.coarseExtents());
        }
    }

    @Test
    void clearKeepsWhatWasWrittenAfterTheReadBegan()
    {
        try (TrackingMap map = new TrackingMap(context(1, false)))
        {
            map.mark(0, KIB4, 1);
            map.mark(KIB4, KIB4, 2);
            map.clear(0, 2 * KIB4, 2); // read began before write 2 completed
            assertEquals("[4096,8192)", dirty(map));
            map.clear(0, 2 * KIB4, 3);
            assertEquals("", dirty(map));
            assertEquals(0, map.fineGranules(), "a clean fine granule gives its slot back");
        }
    }

    @Test
    void coarseClearIsConservativeInsideTheGranuleOnly()
    {
        try (TrackingMap map = new TrackingMap(context(0, false)))
        {
            map.mark(0, KIB4, 1);
            map.mark(MIB, KIB4, 2);
            map.clear(0, 2 * MIB, 2);
            assertEquals("[" + MIB + "," + 2 * MIB + ")", dirty(map), "granule 0 clean, granule 1 kept");
        }
    }

    @Test
    void clearRoundsInwardsToBlocks()
    {
        try (TrackingMap map = new TrackingMap(context(1, false)))
        {
            map.mark(0, 3 * KIB4, 1);
            map.clear(1, 3 * KIB4 - 1, 5);
            assertEquals("[0,4096) [8192,12288)", dirty(map));
        }
    }

    @Test
    void promotesAfterNWritesAndHandsOutFineRuns()
    {
        try (TrackingMap map = new TrackingMap(context(3, false)))
        {
            map.mark(0, KIB4, 1);
            map.mark(8 * KIB4, KIB4, 2);
            assertEquals(0, map.fineGranules());
            assertEquals(MIB, map.dirtyBytes());
            map.mark(16 * KIB4, KIB4, 3);
            assertEquals(1, map.fineGranules());
            // The coarse extent moved into the bitmap: the whole granule is still dirty (seq 2).
            assertEquals(MIB, map.dirtyBytes());
            map.clear(0, MIB, 3); // the whole-granule part had seq 2 < 3; block 16 has seq 3
            assertEquals("[65536,69632)", dirty(map));
            map.mark(32 * KIB4, 2 * KIB4, 4);
            final List<long[]> ranges = batch(map, RegionOrder.LBA, MIB);
            assertEquals(2, ranges.size());
            assertEquals(16 * KIB4, ranges.get(0)[0]);
            assertEquals(34 * KIB4, ranges.get(1)[1]);
        }
    }

    @Test
    void spanModePromotesBeforeTheFirstGapOpens()
    {
        try (TrackingMap map = new TrackingMap(context(1, true)))
        {
            map.mark(0, KIB4, 1);
            map.mark(KIB4, KIB4, 2); // extends the span: no gap, stays coarse
            assertEquals(0, map.fineGranules());
            map.mark(10 * KIB4, KIB4, 3); // would open a gap: promoted first
            assertEquals(1, map.fineGranules());
            assertEquals("[0,8192) [40960,45056)", dirty(map));
        }
    }

    @Test
    void settleDemotesQuietGranulesButNotPinnedOnes()
    {
        final long[] now = {0};
        try (TrackingMap map = new TrackingMap(new TrackingMap.Context().promoteAfterWrites(1).coarseSpans(false).nanoClock(() -> now[0])))
        {
            map.markHot(5 * MIB, 6 * MIB);
            map.mark(0, KIB4, 1);
            map.mark(2 * KIB4, KIB4, 2);
            map.mark(5 * MIB, KIB4, 3);
            assertEquals(2, map.fineGranules());
            now[0] = 1_000;
            assertEquals(0, map.settle(2_000, now[0]), "not idle long enough");
            now[0] = 10_000;
            assertEquals(2, map.settle(2_000, now[0]), "one demoted, the pinned one compacted");
            assertEquals(1, map.fineGranules(), "the pinned granule stays fine");
            assertEquals(1, map.compactGranules());
            assertEquals(2, map.coarseExtents(), "one coarse extent per dirty run");
            assertEquals("[0,4096) [8192,12288) [" + 5 * MIB + "," + (5 * MIB + KIB4) + ")", dirty(map));
            // The runs keep their own seqs: clearing with 2 keeps only block 2.
            map.clear(0, MIB, 2);
            assertEquals("[8192,12288) [" + 5 * MIB + "," + (5 * MIB + KIB4) + ")", dirty(map));
        }
    }

    @Test
    void fragmentedQuietGranulesKeepACompactBitmap()
    {
        final long[] now = {0};
        try (TrackingMap map = new TrackingMap(new TrackingMap.Context().promoteAfterWrites(1).coarseSpans(false).nanoClock(() -> now[0])))
        {
            map.mark(0, KIB4, 1);
            map.mark(2 * KIB4, KIB4, 2);
            map.mark(4 * KIB4, KIB4, 3);
            final long full = map.metadataBytes();
            now[0] = 10_000;
            assertEquals(1, map.settle(1_000, now[0]));
            assertEquals(1, map.compactGranules());
            assertEquals(0, map.coarseExtents(), "three runs stay a bitmap");
            assertTrue(map.metadataBytes() <= full - 256 * 8, "the per-block seqs are gone");
            map.clear(0, 2 * KIB4, 3); // the compact slot only knows max seq 3: nothing clears
            assertEquals("[0,4096) [8192,12288) [16384,20480)", dirty(map));
            map.clear(0, 2 * KIB4, 4);
            assertEquals("[8192,12288) [16384,20480)", dirty(map));
            map.mark(6 * KIB4, KIB4, 5); // expands: old blocks at seq 3, the new one at 5
            assertEquals(0, map.compactGranules());
            map.clear(0, MIB, 5);
            assertEquals("[24576,28672)", dirty(map));
        }
    }

    @Test
    void markHotMakesTheFirstWriteFine()
    {
        try (TrackingMap map = new TrackingMap(context(0, false)))
        {
            map.markHot(MIB, 2 * MIB);
            map.mark(MIB + KIB4, KIB4, 1);
            map.mark(0, KIB4, 2);
            assertEquals(1, map.fineGranules());
            assertEquals("[0," + MIB + ") [" + (MIB + KIB4) + "," + (MIB + 2 * KIB4) + ")", dirty(map));
            map.unmarkHot(0, 10 * MIB);
        }
    }

    @Test
    void batchesFollowTheRankOrderAndResume()
    {
        try (TrackingMap map = new TrackingMap(context(0, false)))
        {
            for (int g = 0; g < 4; g++)
            {
                map.mark(g * MIB, 1, g + 1);
            }
            final RegionOrder reverse = g -> (int)(100 - g);
            List<long[]> ranges = batch(map, reverse, MIB + MIB / 2);
            assertEquals(2, ranges.size());
            assertEquals(3 * MIB, ranges.get(0)[0]);
            assertEquals(4 * MIB, ranges.get(0)[1]);
            assertEquals(2 * MIB, ranges.get(1)[0]);
            assertEquals(2 * MIB + MIB / 2, ranges.get(1)[1]);
            ranges = batch(map, reverse, 10 * MIB);
            assertEquals(3, ranges.size(), "resumes mid-granule, then ends the pass");
            assertEquals(2 * MIB + MIB / 2, ranges.get(0)[0]);
            assertEquals(0, ranges.get(2)[0]);
            ranges = batch(map, RegionOrder.LBA, 10 * MIB);
            assertEquals(1, ranges.size(), "LBA order joins touching granules");
            assertEquals(4 * MIB, ranges.get(0)[1]);
            map.clear(0, 4 * MIB, 10);
            assertEquals(0, map.nextBatch(RegionOrder.LBA, MIB, (s, e) -> { }));
        }
    }

    @Test
    void metadataFollowsFineGranules()
    {
        try (TrackingMap map = new TrackingMap(context(1, false)))
        {
            final long empty = map.metadataBytes();
            for (int g = 0; g < 100; g++)
            {
                map.mark(g * MIB, KIB4, g + 1);
            }
            final long full = map.metadataBytes();
            assertTrue(full >= empty + 100 * map.fineSlotBytes(), full + " vs " + empty);
            map.clear(0, 100 * MIB, 1_000);
            assertEquals(0, map.fineGranules());
            assertTrue(map.metadataBytes() < full - 99 * map.fineSlotBytes());
        }
    }

    @Test
    void rejectsDecreasingSeqsAndBadSettings()
    {
        try (TrackingMap map = new TrackingMap())
        {
            map.mark(0, 1, 5);
            assertThrows(IllegalArgumentException.class, () -> map.mark(0, 1, 5));
            assertThrows(IllegalArgumentException.class, () -> map.nextBatch(RegionOrder.LBA, 100, (s, e) -> { }));
        }
        assertThrows(IllegalArgumentException.class, () -> new TrackingMap(new TrackingMap.Context().granuleBytes(3 * MIB)));
    }

    /**
     * Marks, copy cycles (nextBatch and clears) and settles in a steady state allocate nothing: the
     * per-thread allocation counter may move by less than a byte per operation (JIT and pass rebuilds).
     */
    @Test
    void steadyStateAllocatesNothing()
    {
        final java.lang.management.ThreadMXBean bean = java.lang.management.ManagementFactory.getThreadMXBean();
        if (!(bean instanceof com.sun.management.ThreadMXBean threads) || !threads.isThreadAllocatedMemorySupported())
        {
            return;
        }
        final long[] now = {0};
        final long[] writes = new long[4096];
        final SplittableRandom random = new SplittableRandom(5);
        for (int i = 0; i < writes.length; i++)
        {
            // 32 hot granules take most writes, the rest scatter over 1 GiB.
            writes[i] = random.nextInt(4) != 0 ? random.nextInt(32) * MIB + random.nextLong(MIB) : random.nextLong(1L << 30);
        }
        final long[] ranges = new long[256];
        final int[] count = {0};
        final DirtyRangeConsumer collect = (s, e) ->
        {
            if (count[0] < ranges.length)
            {
                ranges[count[0]++] = s;
                ranges[count[0]++] = e;
            }
        };
        try (TrackingMap map = new TrackingMap(new TrackingMap.Context().maxSeqArrays(8).nanoClock(() -> now[0])))
        {
            long seq = 0;
            long allocatedBefore = 0;
            final int rounds = 60;
            final int measuredFrom = 30;
            long ops = 0;
            for (int round = 0; round < rounds; round++)
            {
                if (round == measuredFrom)
                {
                    allocatedBefore = threads.getCurrentThreadAllocatedBytes();
                }
                for (int i = 0; i < writes.length; i++)
                {
                    now[0] += 1_000;
                    map.mark(writes[i], 512L * (1 + (i & 31)), ++seq);
                    if ((i & 15) == 15)
                    {
                        count[0] = 0;
                        map.nextBatch(RegionOrder.LBA, MIB, collect);
                        final long r = seq + 1;
                        for (int k = 0; k < count[0]; k += 2)
                        {
                            map.clear(ranges[k], ranges[k + 1], r);
                        }
                        ops++;
                    }
                    ops++;
                }
                map.settle(2_000_000, now[0]);
            }
            final long allocated = threads.getCurrentThreadAllocatedBytes() - allocatedBefore;
            assertTrue(allocated < ops, allocated + " bytes allocated over " + ops + " operations");
        }
    }

    /**
     * A million writes over 16 GiB with copy cycles, hierarchical tracking, against a per-block model
     * of the truly dirty blocks: none lost.
     */
    @Test
    void millionWritesNeverLoseABlock()
    {
        final long space = 16L << 30;
        final int blocks = (int)(space / KIB4);
        final long[] lastWrite = new long[blocks];
        final boolean[] dirty = new boolean[blocks];
        final long[] now = {0};
        final SplittableRandom random = new SplittableRandom(11);
        try (TrackingMap map = new TrackingMap(new TrackingMap.Context().nanoClock(() -> now[0])))
        {
            // Hot set: 64 regions of 1 MiB take 80 % of the writes.
            final long[] hot = new long[64];
            for (int i = 0; i < hot.length; i++)
            {
                hot[i] = random.nextLong(space / MIB) * MIB;
            }
            long seq = 0;
            final long[] batch = new long[2 * 4096];
            for (int round = 0; round < 1_000; round++)
            {
                for (int i = 0; i < 1_000; i++)
                {
                    final long offset = random.nextInt(5) != 0
                        ? hot[random.nextInt(hot.length)] + random.nextLong(MIB)
                        : random.nextLong(space);
                    final long length = Math.min(space - offset, 512L * (1 + random.nextInt(128)));
                    seq++;
                    now[0] += 1_000;
                    map.mark(offset, length, seq);
                    for (long b = offset / KIB4; b * KIB4 < offset + length; b++)
                    {
                        lastWrite[(int)b] = seq;
                        dirty[(int)b] = true;
                    }
                }
                // One copy cycle: batch, read begins, writes land, clear.
                final int[] n = {0};
                map.nextBatch(RegionOrder.LBA, 64 * MIB, (s, e) ->
                {
                    if (n[0] < batch.length)
                    {
                        batch[n[0]++] = s;
                        batch[n[0]++] = e;
                    }
                });
                final long r = seq + 1;
                final long offset = hot[round % hot.length];
                seq++;
                map.mark(offset, KIB4, seq);
                lastWrite[(int)(offset / KIB4)] = seq;
                dirty[(int)(offset / KIB4)] = true;
                for (int i = 0; i < n[0]; i += 2)
                {
                    map.clear(batch[i], batch[i + 1], r);
                    for (long b = batch[i] / KIB4; b < batch[i + 1] / KIB4; b++)
                    {
                        if (lastWrite[(int)b] < r)
                        {
                            dirty[(int)b] = false;
                        }
                    }
                }
                if (round % 100 == 99)
                {
                    map.settle(50_000, now[0]);
                }
            }
            final boolean[] reported = new boolean[blocks];
            map.forEachDirty((s, e) ->
            {
                for (long b = s / KIB4; b < e / KIB4; b++)
                {
                    reported[(int)b] = true;
                }
            });
            long lost = 0;
            long truly = 0;
            for (int b = 0; b < blocks; b++)
            {
                truly += dirty[b] ? 1 : 0;
                lost += dirty[b] && !reported[b] ? 1 : 0;
            }
            assertEquals(0, lost, "lost dirty blocks");
            assertTrue(truly > 0);
            assertTrue(map.dirtyBytes() >= truly * KIB4);
            assertFalse(map.metadataBytes() <= 0);
        }
    }
}
