package io.presync.pool;

import io.presync.RefusedException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PoolMetadataTest
{
    private static final long UNIT = 64 << 10;
    private static final int POOL_BYTES = 16 << 20;
    private static final Pool.CreateOptions OPTIONS = new Pool.CreateOptions(UNIT, 8, false);
    private static final MasterIdentity MASTER = MasterIdentity.of("/dev/master", 1L << 30);

    @Test
    void superblockRoundTrips() throws Exception
    {
        final Superblock sb = PoolLayout.forNewPool(1L << 30, 1 << 20, 64, 4096, 0x1122334455667788L, -5L, 1234L);
        sb.generation = 7;
        sb.partitionCount = 3;
        sb.freeExtentCount = 300;
        final ByteBuffer page = MetadataPages.newPage();
        sb.encode(page);
        final Superblock back = Superblock.decode(page, 1);
        assertEquals(7, back.generation);
        assertEquals(0x1122334455667788L, back.poolIdHigh);
        assertEquals(-5L, back.poolIdLow);
        assertEquals(1L << 30, back.deviceSizeBytes);
        assertEquals(1 << 20, back.unitBytes);
        assertEquals(1024, back.unitCount);
        assertEquals(1, back.reservedUnits, "64 partitions of metadata fit the first 1 MiB unit");
        assertEquals(3, back.partitionCount);
        assertEquals(300, back.freeExtentCount);
        assertEquals(4096, back.logicalSectorBytes);
        assertEquals(1234L, back.createdMillis);
        assertEquals("PRESYNC1", new String(page.array(), 0, 8, java.nio.charset.StandardCharsets.US_ASCII));

        final CorruptMetadataException wrongSlot = assertThrows(CorruptMetadataException.class, () -> Superblock.decode(page, 0));
        assertTrue(wrongSlot.getMessage().contains("do not belong in superblock 0"), wrongSlot.getMessage());
        page.put(200, (byte)1);
        assertEquals("bad CRC32C", assertThrows(CorruptMetadataException.class, () -> Superblock.decode(page, 1)).getMessage());
    }

    @Test
    void partitionEntryRoundTrips() throws Exception
    {
        final Superblock sb = PoolLayout.forNewPool(1L << 30, 1 << 20, 64, 512, 1, 2, 0);
        sb.generation = 4;
        final PartitionEntry e = new PartitionEntry();
        e.name = "vm-disk-ü-42";
        e.master = MASTER;
        e.logicalSizeBytes = MASTER.sizeBytes();
        e.usedBytes = 12345;
        e.state = PartitionState.COPYING;
        e.extensionCount = 2;
        e.dataHighWater = 5 << 20;
        e.mapRootPage = 300;
        e.mapPages = 3;
        e.mapExtentCount = 100;
        e.jobStateHeaderPage = 17;
        e.jobStateBytes = 5000;
        e.jobStatePages = 3;
        e.createdMillis = 777;
        e.segments.add(Segment.of(1, 10, 1 << 20));
        e.segments.add(Segment.of(500, 3, 1 << 20));
        final ByteBuffer page = MetadataPages.newPage();
        e.encode(page, 5, sb);
        final PartitionEntry back = PartitionEntry.decode(page, 5, sb);
        assertEquals(PartitionInfo.of(e, sb.unitBytes), PartitionInfo.of(back, sb.unitBytes));
        assertEquals(5 << 20, back.dataHighWater);
        assertEquals(300, back.mapRootPage);
        assertEquals(3, back.mapPages);
        assertEquals(100, back.mapExtentCount);
        assertEquals(17, back.jobStateHeaderPage);
        assertEquals(5000, back.jobStateBytes);
        assertEquals(3, back.jobStatePages);
        assertEquals(777, back.createdMillis);
        assertEquals(8, back.segments.get(0).checksumPages(), "10 MiB = 2560 blocks need 8 checksum pages of 341 records");

        sb.generation = 6;
        assertTrue(assertThrows(CorruptMetadataException.class, () -> PartitionEntry.decode(page, 5, sb)).getMessage()
            .contains("from generation 4, expected 6"));
        sb.generation = 4;
        assertTrue(assertThrows(CorruptMetadataException.class, () -> PartitionEntry.decode(page, 6, sb)).getMessage()
            .contains("expected page 6"));
    }

    @Test
    void checksumPagesCoverEveryDataBlock()
    {
        for (long blocks = 1; blocks < 5000; blocks++)
        {
            final int c = PartitionEntryDescriptor.checksumPages(blocks * 4096);
            assertTrue(341L * c >= blocks - c, "enough checksum records for " + blocks);
            assertTrue(c == 0 || 341L * (c - 1) < blocks - (c - 1), "no spare checksum page for " + blocks);
        }
    }

    @Test
    void reopenSeesEveryCommittedChange() throws Exception
    {
        final MemoryPoolIo io = new MemoryPoolIo(POOL_BYTES);
        final List<PartitionInfo> expected;
        try (Pool pool = Pool.create(io, OPTIONS, 1))
        {
            pool.allocate("a", MASTER, 1 << 20);
            pool.allocate("b", MASTER, 3 << 20);
            pool.extend("a", 200 << 10);
            pool.delete("b");
            pool.allocate("c", MASTER, 100 << 10);
            expected = pool.partitions();
        }
        try (Pool pool = Pool.open(new MemoryPoolIo(io.image()), true))
        {
            assertEquals(expected, pool.partitions());
            assertNull(pool.info().recoveryNote());
            assertEquals(6, pool.info().generation(), "create writes generations 0 and 1, then one per change");
        }
    }

    @Test
    void corruptNewestSuperblockFallsBackToThePreviousGeneration() throws Exception
    {
        final MemoryPoolIo io = new MemoryPoolIo(POOL_BYTES);
        final List<PartitionInfo> before;
        final long generation;
        try (Pool pool = Pool.create(io, OPTIONS, 1))
        {
            pool.allocate("a", MASTER, 1 << 20);
            before = pool.partitions();
            pool.allocate("b", MASTER, 1 << 20);
            generation = pool.info().generation();
        }
        final byte[] image = io.image();
        image[(int)SuperblockDescriptor.superblockOffset((int)(generation & 1)) + 100] ^= 0x40;
        try (Pool pool = Pool.open(new MemoryPoolIo(image), true))
        {
            assertEquals(generation - 1, pool.info().generation());
            assertEquals(before, pool.partitions());
            assertNotNull(pool.info().recoveryNote());
            assertTrue(pool.info().recoveryNote().contains("superblock " + (generation & 1) + " is invalid (bad CRC32C)"),
                pool.info().recoveryNote());
            // The next commit rewrites the damaged copy.
            pool.allocate("c", MASTER, 1 << 20);
            assertEquals(generation, pool.info().generation());
        }
    }

    @Test
    void corruptMetadataPageFallsBackToThePreviousGeneration() throws Exception
    {
        final MemoryPoolIo io = new MemoryPoolIo(POOL_BYTES);
        final List<PartitionInfo> before;
        final Superblock sb;
        try (Pool pool = Pool.create(io, OPTIONS, 1))
        {
            pool.allocate("a", MASTER, 1 << 20);
            before = pool.partitions();
            pool.allocate("b", MASTER, 1 << 20);
            sb = PoolMetadata.read(io).sb;
        }
        final byte[] image = io.image();
        image[(int)sb.metadataPageOffset(1) + 70] ^= 1;
        try (Pool pool = Pool.open(new MemoryPoolIo(image), true))
        {
            assertEquals(before, pool.partitions());
            assertEquals(sb.generation - 1, pool.info().generation());
        }
    }

    @Test
    void bothSuperblocksCorruptIsAClearError() throws Exception
    {
        final MemoryPoolIo io = new MemoryPoolIo(POOL_BYTES);
        Pool.create(io, OPTIONS, 1).close();
        final byte[] image = io.image();
        image[50] ^= 1;
        image[4096 + 8] = 9;
        final IOException ex = assertThrows(IOException.class, () -> Pool.open(new MemoryPoolIo(image), true));
        assertEquals("neither superblock of /dev/memory is valid: superblock 0: bad CRC32C; superblock 1: bad CRC32C", ex.getMessage());
    }

    @Test
    void aDeviceWithoutPoolIsRefused()
    {
        final RefusedException ex = assertThrows(RefusedException.class, () -> Pool.open(new MemoryPoolIo(POOL_BYTES), true));
        assertTrue(ex.getMessage().startsWith("/dev/memory holds no presync pool; create one with"), ex.getMessage());
    }

    @Test
    void refusedOperationsChangeNothing() throws Exception
    {
        final MemoryPoolIo io = new MemoryPoolIo(POOL_BYTES);
        try (Pool pool = Pool.create(io, OPTIONS, 1))
        {
            pool.allocate("a", MASTER, 1 << 20);
            final List<PartitionInfo> before = pool.partitions();
            final long generation = pool.info().generation();
            final int writes = io.writes;
            assertTrue(assertThrows(RefusedException.class, () -> pool.allocate("a", MASTER, 1 << 20)).getMessage()
                .contains("already has a partition named 'a'"));
            final RefusedException tooBig = assertThrows(RefusedException.class, () -> pool.allocate("big", MASTER, 1L << 30));
            assertTrue(tooBig.getMessage().contains("free but 'big' needs 1 GiB"), tooBig.getMessage());
            assertThrows(RefusedException.class, () -> pool.extend("a", 1L << 30));
            assertThrows(RefusedException.class, () -> pool.extend("nope", 1 << 20));
            assertThrows(RefusedException.class, () -> pool.delete("nope"));
            assertThrows(RefusedException.class, () -> pool.allocate("x".repeat(65), MASTER, 1 << 20));
            assertThrows(RefusedException.class, () -> pool.allocate("", MASTER, 1 << 20));
            assertEquals(before, pool.partitions());
            assertEquals(generation, pool.info().generation());
            assertEquals(writes, io.writes, "a refused operation writes nothing");
        }
    }

    @Test
    void allocationPrefersOneBestFitSegmentAndExtendsAdjacently() throws Exception
    {
        final MemoryPoolIo io = new MemoryPoolIo(POOL_BYTES);
        try (Pool pool = Pool.create(io, OPTIONS, 1))
        {
            final long reserved = pool.info().reservedUnits();
            // Every allocation adds 128 KiB (here: two units) of headroom for its metadata pages.
            final PartitionInfo a = pool.allocate("a", MASTER, 8 * UNIT - 8192);
            assertEquals(List.of(new Segment(reserved, 10, 1)), a.segments());
            pool.allocate("b", MASTER, 2 * UNIT - 4096);
            pool.allocate("c", MASTER, 20 * UNIT);
            pool.delete("a"); // a 10-unit hole at the start
            final PartitionInfo d = pool.allocate("d", MASTER, UNIT - 4096);
            assertEquals(reserved, d.segments().get(0).startUnit(), "the 10-unit hole is the best fit for 3 units");
            final PartitionInfo extended = pool.extend("d", 2 * UNIT - 4096);
            assertEquals(2, extended.segments().size());
            assertEquals(reserved + 3, extended.segments().get(1).startUnit(), "extension continues right after the last segment");
            assertEquals(1, extended.extensionCount());
            assertTrue(io.calls.contains("release " + (reserved + 3) * UNIT + " " + 2 * UNIT));
            assertTrue(io.calls.contains("reserve " + (reserved + 3) * UNIT + " " + 2 * UNIT));
            final int index = io.calls.indexOf("release " + (reserved + 3) * UNIT + " " + 2 * UNIT);
            assertEquals("reserve " + (reserved + 3) * UNIT + " " + 2 * UNIT, io.calls.get(index + 1), "discard, then reserve");
            assertEquals(23 * UNIT, pool.partition("c").orElseThrow().reservedBytes(),
                "20 units of data and 2 of metadata headroom need a 23rd unit for the checksum page");
            final long trimmed = pool.trim("d");
            assertEquals(4 * UNIT, trimmed, "nothing was committed to d: all but one unit goes back");
            assertEquals(UNIT, pool.partition("d").orElseThrow().reservedBytes());
        }
    }

    @Test
    void aCrashAtAnyPointLeavesTheLastCommitOrTheNewOne() throws Exception
    {
        final Random random = new Random(42);
        for (int op = 0; op < 4; op++)
        {
            final List<PartitionInfo> before;
            final List<PartitionInfo> after;
            try (Pool pool = prepared(new MemoryPoolIo(POOL_BYTES)))
            {
                before = pool.partitions();
                apply(pool, op);
                after = pool.partitions();
            }
            int crashPoints = 0;
            for (int crashAfter = 0; ; crashAfter++)
            {
                final MemoryPoolIo io = new MemoryPoolIo(POOL_BYTES);
                try (Pool pool = prepared(io))
                {
                    io.writesBeforeCrash = crashAfter;
                    try
                    {
                        apply(pool, op);
                        break; // the operation completed: every crash point of it was tried
                    }
                    catch (final MemoryPoolIo.CrashException ex)
                    {
                        crashPoints++;
                    }
                }
                boolean sawAfter = false;
                for (int trial = 0; trial < 8; trial++)
                {
                    try (Pool reopened = Pool.open(new MemoryPoolIo(io.crashImage(random)), true))
                    {
                        final List<PartitionInfo> seen = reopened.partitions();
                        assertTrue(seen.equals(before) || seen.equals(after),
                            "op " + op + ", crash after " + crashAfter + " writes: " + seen);
                        sawAfter |= seen.equals(after);
                    }
                }
                assertTrue(!sawAfter || crashAfter > 0, "nothing written cannot show the new state");
            }
            assertTrue(crashPoints >= 3, "op " + op + " has " + crashPoints + " crash points");
        }
    }

    private static Pool prepared(final MemoryPoolIo io) throws IOException
    {
        final Pool pool = Pool.create(io, OPTIONS, 1);
        pool.allocate("a", MASTER, 2 << 20);
        pool.allocate("b", MASTER, 1 << 20);
        return pool;
    }

    private static void apply(final Pool pool, final int op) throws IOException
    {
        switch (op)
        {
            case 0 -> pool.allocate("c", MASTER, 3 << 20);
            case 1 -> pool.extend("a", 1 << 20);
            case 2 -> pool.delete("a");
            default -> pool.trim("b");
        }
    }
}
