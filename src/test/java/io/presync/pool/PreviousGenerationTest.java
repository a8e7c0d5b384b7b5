package io.presync.pool;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import static io.presync.pool.PartitionTest.BLOCK;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Free data space is rebuilt on open from the newest generation only; the generation before it (the
 * other superblock, which open falls back to when the newest is damaged) must stay intact until the
 * next commit replaces it, and its space must be neither leaked nor used twice afterwards.
 */
class PreviousGenerationTest
{
    private static final Pool.CreateOptions OPTIONS = new Pool.CreateOptions(64 << 10, 8, false);
    private static final int LOGICAL = 16 << 20;
    private static final int OLD_BYTES = 2 << 20;
    private static final int CHUNK = 64 << 10;

    @Test
    void writesAfterReopenLeaveThePreviousGenerationReadableUntilTheNextCommit() throws Exception
    {
        final Random random = new Random(5);
        final byte[] first = PartitionTest.randomBlocks(random, OLD_BYTES / BLOCK);
        final byte[] second = PartitionTest.randomBlocks(random, OLD_BYTES / BLOCK);
        final MemoryPoolIo io = new MemoryPoolIo(32 << 20);
        final long newest;
        try (Pool pool = Pool.create(io, OPTIONS, 1))
        {
            pool.allocate("vm", MasterIdentity.of("vm", LOGICAL), 6 << 20);
            try (Partition p = pool.openPartition("vm"))
            {
                write(p, 0, first);
                p.commit();
                // Copy-on-write: the overwrite takes new space; the first version's stays with the generation before.
                write(p, 0, second);
                p.commit();
                newest = pool.info().generation();
            }
        }
        final MemoryPoolIo reopened = new MemoryPoolIo(io.image());
        final long heldBytes;
        try (Pool pool = Pool.open(reopened, true); Partition p = pool.openPartition("vm"))
        {
            p.checkSpace();
            // Fill what is free now, without committing: the first version's space must not be part of it.
            heldBytes = p.freeDataBytes() - p.immediatelyFreeBytes();
            final byte[] filler = PartitionTest.randomBlocks(random, CHUNK / BLOCK);
            long offset = OLD_BYTES;
            while (p.immediatelyFreeBytes() > CHUNK + (512 << 10))
            {
                write(p, offset, filler);
                offset += CHUNK;
            }
            // Without the hold the first version's 2 MiB would be free too, and most of it filled now.
            assertTrue(offset - OLD_BYTES >= (1 << 20), "filled " + (offset - OLD_BYTES));
            assertEquals(newest, pool.info().generation(), "no commit happened");
        }
        // Killed here: every write reached the device, nothing after the last commit is durable metadata.
        final byte[] image = reopened.image();
        // The newest superblock is damaged: open falls back to the generation before, whose data is intact.
        image[(int)SuperblockDescriptor.superblockOffset((int)(newest & 1)) + 100] ^= 0x40;
        try (Pool pool = Pool.open(new MemoryPoolIo(image), true); Partition p = pool.openPartition("vm"); Arena arena = Arena.ofConfined())
        {
            assertEquals(newest - 1, pool.info().generation());
            assertNotNull(pool.info().recoveryNote());
            final MemorySegment all = arena.allocate(OLD_BYTES, BLOCK);
            p.read(0, all); // CRC-checked
            assertArrayEquals(first, all.toArray(ValueLayout.JAVA_BYTE));
        }
        assertTrue(heldBytes >= OLD_BYTES, "held " + heldBytes);
    }

    @Test
    void spaceHeldForThePreviousGenerationIsFreeAfterTheNextCommitAndUsedOnce() throws Exception
    {
        final Random random = new Random(6);
        final MemoryPoolIo io = new MemoryPoolIo(32 << 20);
        final long freeBefore;
        try (Pool pool = Pool.create(io, OPTIONS, 1))
        {
            pool.allocate("vm", MasterIdentity.of("vm", LOGICAL), 6 << 20);
            try (Partition p = pool.openPartition("vm"))
            {
                write(p, 0, PartitionTest.randomBlocks(random, OLD_BYTES / BLOCK));
                p.commit();
                write(p, 0, PartitionTest.randomBlocks(random, OLD_BYTES / BLOCK));
                p.discard(OLD_BYTES / 2, OLD_BYTES / 2);
                p.commit();
                freeBefore = p.freeDataBytes();
            }
        }
        try (Pool pool = Pool.open(new MemoryPoolIo(io.image()), true); Partition p = pool.openPartition("vm"))
        {
            // Held, not leaked: at least the bytes free or held when the process that wrote them closed
            // (plus the tree pages it had set aside), the first version's among them.
            assertTrue(p.freeDataBytes() >= freeBefore, p.freeDataBytes() + " free after reopen, " + freeBefore + " before");
            final long immediately = p.immediatelyFreeBytes();
            assertTrue(p.freeDataBytes() - immediately >= OLD_BYTES, "held " + (p.freeDataBytes() - immediately));
            p.setJobState(new byte[] {1});
            p.commit();
            p.checkSpace();
            assertTrue(p.immediatelyFreeBytes() >= immediately + OLD_BYTES - 8 * BLOCK,
                "after a commit the generation before is gone and its space free: " + immediately + " -> " + p.immediatelyFreeBytes());
            // Writes into all of it never use a block twice.
            final byte[] filler = PartitionTest.randomBlocks(random, 16);
            for (long offset = OLD_BYTES; p.immediatelyFreeBytes() > (1 << 20); offset += filler.length)
            {
                write(p, offset, filler);
            }
            p.checkSpace();
            p.commit();
            p.checkSpace();
        }
    }

    private static void write(final Partition p, final long offset, final byte[] data) throws Exception
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment segment = arena.allocate(data.length, BLOCK);
            MemorySegment.copy(data, 0, segment, ValueLayout.JAVA_BYTE, 0, data.length);
            p.write(offset, segment);
        }
    }
}
