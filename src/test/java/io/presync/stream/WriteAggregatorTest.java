package io.presync.stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

class WriteAggregatorTest
{
    @TempDir
    Path dir;

    @Test
    void handMadeFixtureGivesExactSeries() throws IOException
    {
        final TreeMap<Long, Long> heat = new TreeMap<>();
        try (WriteAggregator aggregator = new WriteAggregator(60_000_000_000L, 1 << 20,
            (region, bytes, time) -> heat.merge(region, bytes, Long::sum)))
        {
            fixture(aggregator);
        }
        assertEquals(Map.of(0L, 17920L, 1L, 12288L), heat);
    }

    private void fixture(final WriteAggregator aggregator) throws IOException
    {
        TraceReader.read(TraceReaderTest.fixture("cloudphysics-small.csv"), TraceFormat.CLOUDPHYSICS, false, aggregator);
        aggregator.writeCsv(dir.resolve("series.csv"));
        assertEquals(List.of(
            "ts_us,write_bytes,new_bytes,write_requests",
            // [100 s, 160 s): 4 KiB at 0 (new block 0), 512 B at 4 KiB (new block 1), 8 KiB at 0 (rewrite)
            "160000000,12800,8192,3",
            // [160 s, 220 s): 4 KiB at 8 KiB (new block 2), 1 KiB inside block 2 (rewrite)
            "220000000,5120,4096,2",
            // [220 s, 280 s): 12 KiB at 1 MiB (three new blocks)
            "280000000,12288,12288,1"), Files.readAllLines(dir.resolve("series.csv")));
    }

    private static WriteEvent ev(final long time, final WriteOp op, final long offset, final long length)
    {
        return new WriteEvent().set(0, time, op, offset, length, 1);
    }

    @Test
    void discardFreesWholeBlocksAndRegionsSplit()
    {
        final List<long[]> heat = new ArrayList<>();
        try (WriteAggregator a = new WriteAggregator(10, 1 << 20, (region, bytes, time) -> heat.add(new long[] {region, bytes, time})))
        {
            discardFreesWholeBlocksAndRegionsSplit(a, heat);
        }
    }

    private static void discardFreesWholeBlocksAndRegionsSplit(final WriteAggregator a, final List<long[]> heat)
    {
        a.onEvent(ev(0, WriteOp.WRITE, 0, 16384));                 // blocks 0..3 new
        a.onEvent(ev(1, WriteOp.DISCARD, 2048, 8192));             // frees block 1 only (2048..10240 covers block 1 wholly)
        a.onEvent(ev(2, WriteOp.WRITE, 0, 16384));                 // block 1 new again
        a.onEvent(ev(3, WriteOp.FLUSH, 0, 0));
        a.onEvent(ev(4, WriteOp.LOST, 0, Long.MAX_VALUE));
        a.onEvent(ev(12, WriteOp.WRITE_ZEROES, (1 << 20) - 4096, 8192)); // two new blocks across regions 0 and 1
        assertEquals(2, a.intervals());
        assertEquals(32768, a.writeBytes(0));
        assertEquals(16384 + 4096, a.newBytes(0));
        assertEquals(2, a.writeRequests(0));
        assertEquals(8192, a.writeBytes(1));
        assertEquals(8192, a.newBytes(1));
        assertEquals(1, a.writeRequests(1));
        assertEquals(8192, a.discardBytes());
        assertEquals(1, a.lostReports());
        assertEquals(4, heat.size());
        assertEquals(List.of(0L, 4096L, 12L), List.of(heat.get(2)[0], heat.get(2)[1], heat.get(2)[2]));
        assertEquals(List.of(1L, 4096L, 12L), List.of(heat.get(3)[0], heat.get(3)[1], heat.get(3)[2]));
    }

    @Test
    void unalignedWriteAllocatesWholeBlocks()
    {
        try (WriteAggregator a = new WriteAggregator(1_000, 1 << 20, null))
        {
            a.onEvent(ev(0, WriteOp.WRITE, 4000, 200));     // touches blocks 0 and 1
            a.onEvent(ev(1, WriteOp.WRITE, 4096, 512));     // block 1 again
            assertEquals(8192, a.newBytes(0));
            assertEquals(712, a.writeBytes(0));
        }
    }
}
