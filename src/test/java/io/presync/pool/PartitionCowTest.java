package io.presync.pool;

import io.presync.RefusedException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

import static io.presync.pool.PartitionTest.BLOCK;
import static io.presync.pool.PartitionTest.assertMatches;
import static io.presync.pool.PartitionTest.randomBlocks;
import static io.presync.pool.PartitionTest.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Copy-on-write overwrites, deferred frees, discards, data-space reuse and the job-state blob, on the
 * in-memory device with its crash model.
 */
class PartitionCowTest
{
    private static final long UNIT = 64 << 10;
    private static final int LOGICAL = 4 << 20;
    private static final Pool.CreateOptions OPTIONS = new Pool.CreateOptions(UNIT, 4, false);

    static void discard(final Partition p, final PartitionTest.Model model, final long offset, final long length) throws Exception
    {
        p.discard(offset, length);
        Arrays.fill(model.bytes, (int)offset, (int)(offset + length), (byte)0);
        model.written.clear((int)(offset / BLOCK), (int)((offset + length) / BLOCK));
    }

    @Test
    void aCrashAtAnyPointDuringOverwritesDiscardsAndCommitsLeavesTheLastCommitExactly() throws Exception
    {
        final Random random = new Random(7);
        int crashPoints = 0;
        for (int crashAfter = 0; ; crashAfter += 1 + random.nextInt(6))
        {
            final MemoryPoolIo io = new MemoryPoolIo(6 << 20);
            final PartitionTest.Model[] committedByRound = new PartitionTest.Model[16];
            PartitionTest.Model pending = new PartitionTest.Model(LOGICAL);
            final Random data = new Random(5);
            int round = 0;
            boolean crashed = false;
            try (Pool pool = Pool.create(io, OPTIONS, 1))
            {
                pool.allocate("vm", MasterIdentity.of("vm", LOGICAL), 1536 << 10);
                try (Partition p = pool.openPartition("vm"))
                {
                    io.writesBeforeCrash = crashAfter;
                    for (round = 0; round < 8 && !crashed; round++)
                    {
                        try
                        {
                            for (int i = 0; i < 6; i++)
                            {
                                // A 1 MiB window: most writes overwrite committed blocks.
                                final int blocks = 1 + data.nextInt(24);
                                final long offset = (long)data.nextInt(256 - blocks) * BLOCK;
                                if (data.nextInt(6) == 0)
                                {
                                    discard(p, pending, offset, (long)blocks * BLOCK);
                                }
                                else
                                {
                                    write(p, pending, offset, randomBlocks(data, blocks));
                                }
                            }
                            p.setJobState(("round " + round).getBytes(StandardCharsets.UTF_8));
                            p.commit();
                            committedByRound[round] = pending;
                            pending = pending.copy();
                            p.checkSpace();
                        }
                        catch (final MemoryPoolIo.CrashException ex)
                        {
                            crashed = true;
                        }
                    }
                }
            }
            if (!crashed)
            {
                break;
            }
            crashPoints++;
            for (int trial = 0; trial < 3; trial++)
            {
                try (Pool pool = Pool.open(new MemoryPoolIo(io.crashImage(random)), true); Partition p = pool.openPartition("vm"))
                {
                    // The job state names the commit that survived: the data must be exactly that commit's.
                    final byte[] state = p.jobState();
                    if (state == null)
                    {
                        assertMatches(p, new PartitionTest.Model(LOGICAL));
                    }
                    else
                    {
                        final int survived = Integer.parseInt(new String(state, StandardCharsets.UTF_8).substring(6));
                        assertTrue(survived >= round - 2, "crash " + crashAfter + ": round " + survived + " survived, " + (round - 1) + " was in flight");
                        assertMatches(p, committedByRound[survived] != null ? committedByRound[survived] : pending);
                    }
                    p.checkSpace();
                    // And the reopened partition carries on.
                    write(p, new PartitionTest.Model(LOGICAL), 0, randomBlocks(random, 8));
                    p.commit();
                    p.checkSpace();
                }
            }
        }
        assertTrue(crashPoints >= 20, crashPoints + " crash points");
    }

    @Test
    void overwritesReuseFreedSpaceAndAFullPartitionCommitsBeforeRefusing() throws Exception
    {
        final MemoryPoolIo io = new MemoryPoolIo(16 << 20);
        final PartitionTest.Model model = new PartitionTest.Model(LOGICAL);
        final Random random = new Random(3);
        try (Pool pool = Pool.create(io, OPTIONS, 1))
        {
            pool.allocate("vm", MasterIdentity.of("vm", LOGICAL), 3 << 20);
            try (Partition p = pool.openPartition("vm"))
            {
                write(p, model, 0, randomBlocks(random, 256));
                p.commit();
                assertEquals(1, p.extentCount());
                // 30 MiB of overwrites through 3 MiB: only possible when freed space is reused.
                for (int i = 0; i < 480; i++)
                {
                    final int blocks = 1 + random.nextInt(16);
                    write(p, model, (long)random.nextInt(256 - blocks) * BLOCK, randomBlocks(random, blocks));
                    if (i % 8 == 7)
                    {
                        p.commit();
                        p.checkSpace();
                    }
                }
                p.commit();
                assertMatches(p, model);
                assertEquals(1L << 20, p.usedBytes());
                assertTrue(p.freeDataBytes() >= p.dataBytes() - (1L << 20) - (p.mapPages() + 64) * BLOCK,
                    p.freeDataBytes() + " free of " + p.dataBytes());

                // Overwriting 2 MiB of committed data in 512 KiB writes: a write that finds no space commits
                // first (the deferred space of the writes before it becomes free) and goes on.
                write(p, model, 1 << 20, randomBlocks(random, 256));
                p.commit();
                final long generation = pool.info().generation();
                for (int i = 0; i < 4; i++)
                {
                    write(p, model, (long)i << 19, randomBlocks(random, 128));
                }
                assertTrue(pool.info().generation() > generation, "a write committed to reclaim deferred space");
                assertMatches(p, model);
                p.commit();
                p.checkSpace();

                // One 2 MiB overwrite needs 2 MiB free at once: refused after the commit, nothing changed.
                final long free = p.freeDataBytes();
                final RefusedException full = assertThrows(RefusedException.class,
                    () -> write(p, new PartitionTest.Model(LOGICAL), 0, randomBlocks(random, 512)));
                assertTrue(full.getMessage().startsWith("partition 'vm' is full"), full.getMessage());
                assertEquals(free, p.freeDataBytes());
                assertMatches(p, model);
            }
            try (Partition p = pool.openPartition("vm"))
            {
                assertMatches(p, model);
                p.checkSpace();
            }
        }
    }

    @Test
    void discardUnmapsAndFreesAfterTheCommit() throws Exception
    {
        final MemoryPoolIo io = new MemoryPoolIo(16 << 20);
        final PartitionTest.Model model = new PartitionTest.Model(LOGICAL);
        final Random random = new Random(4);
        try (Pool pool = Pool.create(io, OPTIONS, 1))
        {
            pool.allocate("vm", MasterIdentity.of("vm", LOGICAL), 2 << 20);
            try (Partition p = pool.openPartition("vm"))
            {
                write(p, model, 0, randomBlocks(random, 256));
                p.commit();
                final long free = p.freeDataBytes();
                discard(p, model, 16 * BLOCK, 32 * BLOCK);
                assertEquals(224L * BLOCK, p.usedBytes());
                assertEquals(2, p.extentCount());
                assertEquals(free + 32L * BLOCK, p.freeDataBytes(), "deferred bytes count as free");
                io.calls.clear();
                p.commit();
                assertTrue(io.calls.stream().noneMatch(c -> c.startsWith("release ")), "the previous generation still uses it");
                p.setJobState(new byte[1]);
                p.commit();
                assertTrue(io.calls.stream().anyMatch(c -> c.startsWith("release ") && c.endsWith(" " + 32 * BLOCK)), io.calls.toString());
                assertMatches(p, model);
                // Uncommitted data discarded again is freed at once.
                write(p, model, 300 * BLOCK, randomBlocks(random, 8));
                final long before = p.freeDataBytes();
                discard(p, model, 300 * BLOCK, 8 * BLOCK);
                assertEquals(before + 8L * BLOCK, p.freeDataBytes());
                p.checkSpace();
                p.commit();
            }
            try (Partition p = pool.openPartition("vm"))
            {
                assertMatches(p, model);
                p.checkSpace();
            }
        }
    }

    @Test
    void aDamagedNewestSuperblockFallsBackToAnIntactPreviousCommit() throws Exception
    {
        final MemoryPoolIo io = new MemoryPoolIo(16 << 20);
        final Random random = new Random(8);
        final PartitionTest.Model model = new PartitionTest.Model(LOGICAL);
        PartitionTest.Model previous = null;
        long generation = 0;
        try (Pool pool = Pool.create(io, OPTIONS, 1))
        {
            pool.allocate("vm", MasterIdentity.of("vm", LOGICAL), 2 << 20);
            try (Partition p = pool.openPartition("vm"))
            {
                for (int round = 0; round < 12; round++)
                {
                    previous = model.copy();
                    for (int i = 0; i < 8; i++)
                    {
                        final int blocks = 1 + random.nextInt(32);
                        write(p, model, (long)random.nextInt(192 - blocks) * BLOCK, randomBlocks(random, blocks));
                    }
                    if (round % 3 == 2)
                    {
                        discard(p, model, (long)random.nextInt(100) * BLOCK, 40L * BLOCK);
                    }
                    p.setJobState(("round " + round).getBytes(StandardCharsets.UTF_8));
                    p.commit();
                    generation = pool.info().generation();
                }
            }
        }
        final byte[] image = io.image();
        image[(int)SuperblockDescriptor.superblockOffset((int)(generation & 1)) + 200] ^= 1;
        try (Pool pool = Pool.open(new MemoryPoolIo(image), true); Partition p = pool.openPartition("vm"))
        {
            assertEquals(generation - 1, pool.info().generation());
            assertTrue(pool.info().recoveryNote() != null);
            assertEquals("round 10", new String(p.jobState(), StandardCharsets.UTF_8));
            assertMatches(p, previous);
            p.checkSpace();
        }
    }

    @Test
    void jobStateRoundTripsAndOnlyCommitsWithThePartition() throws Exception
    {
        final MemoryPoolIo io = new MemoryPoolIo(32 << 20);
        final Random random = new Random(5);
        final byte[] big = new byte[3 << 20];
        random.nextBytes(big);
        try (Pool pool = Pool.create(io, OPTIONS, 1))
        {
            pool.allocate("vm", MasterIdentity.of("vm", LOGICAL), 8 << 20);
            try (Partition p = pool.openPartition("vm"))
            {
                assertNull(p.jobState());
                p.setJobState(big);
                p.commit();
                p.checkSpace();
                final long free = p.freeDataBytes();
                for (int i = 0; i < 20; i++)
                {
                    p.setJobState(Arrays.copyOf(big, big.length - i));
                    p.commit();
                }
                p.setJobState(big);
                p.commit();
                assertEquals(free, p.freeDataBytes(), "old job states are freed after each commit");
                p.checkSpace();
                p.setJobState("uncommitted".getBytes(StandardCharsets.UTF_8));
            }
            assertTrue(pool.partition("vm").orElseThrow().mapBytes() >= big.length + BLOCK, "job-state pages count as metadata");
            try (Partition p = pool.openPartition("vm"))
            {
                assertArrayEquals(big, p.jobState());
                p.setJobState(new byte[0]);
                p.commit();
            }
            try (Partition view = pool.viewPartition("vm"))
            {
                assertArrayEquals(new byte[0], view.jobState());
            }
        }
        try (Pool pool = Pool.open(new MemoryPoolIo(io.image()), true); Partition p = pool.openPartition("vm"))
        {
            assertArrayEquals(new byte[0], p.jobState());
            p.checkSpace();
        }
    }
}
