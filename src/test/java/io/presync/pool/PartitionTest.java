package io.presync.pool;

import io.presync.RefusedException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.BitSet;
import java.util.Random;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The data path against a byte-array model of the master, on an in-memory device with a crash model. */
class PartitionTest
{
    static final int BLOCK = 4096;
    private static final long UNIT = 64 << 10;
    private static final int LOGICAL = 16 << 20;
    private static final int CRASH_LOGICAL = 4 << 20;
    private static final Pool.CreateOptions OPTIONS = new Pool.CreateOptions(UNIT, 8, false);

    /** The master as the partition should show it: written bytes, zeros elsewhere. */
    static final class Model
    {
        final byte[] bytes;
        final BitSet written = new BitSet();

        Model(final int size)
        {
            bytes = new byte[size];
        }

        void write(final long offset, final byte[] data)
        {
            System.arraycopy(data, 0, bytes, (int)offset, data.length);
            written.set((int)(offset / BLOCK), (int)((offset + data.length) / BLOCK));
        }

        Model copy()
        {
            final Model m = new Model(bytes.length);
            System.arraycopy(bytes, 0, m.bytes, 0, bytes.length);
            m.written.or(written);
            return m;
        }
    }

    static byte[] randomBlocks(final Random random, final int blocks)
    {
        final byte[] data = new byte[blocks * BLOCK];
        random.nextBytes(data);
        return data;
    }

    static void write(final Partition p, final Model model, final long offset, final byte[] data) throws IOException
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment segment = arena.allocate(data.length, BLOCK);
            MemorySegment.copy(data, 0, segment, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, data.length);
            p.write(offset, segment);
        }
        model.write(offset, data);
    }

    static void assertMatches(final Partition p, final Model model) throws IOException
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment all = arena.allocate(model.bytes.length, BLOCK);
            p.read(0, all);
            assertArrayEquals(model.bytes, all.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        }
        final int[] crcs = new int[model.bytes.length / BLOCK];
        p.checksums(0, model.bytes.length, crcs);
        final CRC32C crc = new CRC32C();
        for (int b = 0; b < crcs.length; b++)
        {
            crc.reset();
            crc.update(model.bytes, b * BLOCK, BLOCK);
            assertEquals((int)crc.getValue(), crcs[b], "CRC of block " + b);
        }
        assertEquals((long)model.written.cardinality() * BLOCK, p.usedBytes());
    }

    @Test
    void randomWritesReadBackAndSurviveReopen() throws Exception
    {
        final MemoryPoolIo io = new MemoryPoolIo(32 << 20);
        final Model model = new Model(LOGICAL);
        final Random random = new Random(11);
        try (Pool pool = Pool.create(io, OPTIONS, 1))
        {
            pool.allocate("vm", MasterIdentity.of("vm", LOGICAL), 12 << 20);
            try (Partition p = pool.openPartition("vm"))
            {
                // A sequential stretch first: it must map as one extent.
                write(p, model, 0, randomBlocks(random, 64));
                write(p, model, 64 * BLOCK, randomBlocks(random, 64));
                assertEquals(1, p.extentCount());
                for (int i = 0; i < 300; i++)
                {
                    final int blocks = 1 + random.nextInt(32);
                    final long offset = (long)random.nextInt(LOGICAL / BLOCK - blocks) * BLOCK;
                    write(p, model, offset, randomBlocks(random, blocks));
                    if (i % 100 == 99)
                    {
                        p.commit();
                    }
                }
                assertMatches(p, model);
                p.commit();
            }
            assertEquals(PartitionState.COPYING, pool.partition("vm").orElseThrow().state());
        }
        try (Pool pool = Pool.open(new MemoryPoolIo(io.image()), true); Partition p = pool.openPartition("vm"))
        {
            assertMatches(p, model);
            assertEquals((long)model.written.cardinality() * BLOCK, pool.partition("vm").orElseThrow().usedBytes());
        }
    }

    @Test
    void zeroBlocksAmongDataGetTheRecordsAComputationGives() throws Exception
    {
        // writeData takes the zero block's record as a constant: it must be the record of those bytes, and a
        // block that is all zero but for one byte (first, inside, last) must be hashed like any other.
        final Random random = new Random(21);
        final int blocks = 64;
        final byte[] data = new byte[blocks * BLOCK];
        for (int b = 0; b < blocks; b++)
        {
            if (b % 4 == 0)
            {
                final byte[] noise = new byte[BLOCK];
                random.nextBytes(noise);
                System.arraycopy(noise, 0, data, b * BLOCK, BLOCK);
            }
            else if (b % 4 == 2)
            {
                data[b * BLOCK + (b * 131) % BLOCK] = (byte)(1 + b);
            }
            else if (b % 4 == 3)
            {
                data[b * BLOCK + (b % 8 == 3 ? 0 : BLOCK - 1)] = 1;
            }
        }
        final MemoryPoolIo io = new MemoryPoolIo(32 << 20);
        final Model model = new Model(LOGICAL);
        try (Pool pool = Pool.create(io, OPTIONS, 1))
        {
            pool.allocate("vm", MasterIdentity.of("vm", LOGICAL), 4 << 20);
            try (Partition p = pool.openPartition("vm"))
            {
                write(p, model, 8 * BLOCK, data);
                // An overwrite with zeros keeps the blocks mapped, with the zero record.
                write(p, model, 8 * BLOCK, new byte[4 * BLOCK]);
                assertMatches(p, model);
                final int[] crcs = new int[blocks];
                final long[] hashes = new long[blocks];
                p.checksums(8 * BLOCK, (long)blocks * BLOCK, crcs, hashes);
                final MemorySegment bytes = MemorySegment.ofArray(model.bytes);
                for (int b = 0; b < blocks; b++)
                {
                    assertEquals(BlockHash.hash(bytes, (8L + b) * BLOCK), hashes[b], "hash of block " + b);
                }
                assertEquals(ChecksumAreaDescriptor.ZERO_BLOCK_CRC, crcs[1]);
                assertEquals(ChecksumAreaDescriptor.ZERO_BLOCK_HASH, hashes[1]);
                assertEquals((long)blocks * BLOCK, p.usedBytes(), "zero blocks written are mapped like any others");
            }
        }
    }

    @Test
    void aWriteBeyondTheFreeSpaceIsRefusedAndChangesNothing() throws Exception
    {
        final MemoryPoolIo io = new MemoryPoolIo(32 << 20);
        final Model model = new Model(LOGICAL);
        final Random random = new Random(3);
        try (Pool pool = Pool.create(io, OPTIONS, 1))
        {
            pool.allocate("vm", MasterIdentity.of("vm", LOGICAL), 1 << 20);
            try (Partition p = pool.openPartition("vm"))
            {
                write(p, model, 0, randomBlocks(random, 200));
                final long free = p.freeDataBytes();
                final RefusedException full = assertThrows(RefusedException.class,
                    () -> write(p, new Model(LOGICAL), 4 << 20, randomBlocks(random, (int)(free / BLOCK) + 1)));
                assertTrue(full.getMessage().startsWith("partition 'vm' is full"), full.getMessage());
                assertEquals(free, p.freeDataBytes());
                // Overwrites need no new space.
                write(p, model, 0, randomBlocks(random, 200));
                assertMatches(p, model);

                pool.extend("vm", 2 << 20);
                write(p, model, 4 << 20, randomBlocks(random, (int)(free / BLOCK) + 1));
                assertMatches(p, model);
                p.commit();
                assertThrows(RefusedException.class, () -> pool.delete("vm"));
                assertThrows(RefusedException.class, () -> pool.trim("vm"));
            }
            final long reservedBefore = pool.partition("vm").orElseThrow().reservedBytes();
            assertTrue(pool.trim("vm") > 0, "the unused tail of the extension goes back");
            assertTrue(pool.partition("vm").orElseThrow().reservedBytes() < reservedBefore);
            try (Partition p = pool.openPartition("vm"))
            {
                assertMatches(p, model);
            }
        }
    }

    @Test
    void aCorruptedBlockFailsItsChecksumOnRead() throws Exception
    {
        final MemoryPoolIo io = new MemoryPoolIo(32 << 20);
        final Model model = new Model(LOGICAL);
        final long device;
        try (Pool pool = Pool.create(io, OPTIONS, 1))
        {
            pool.allocate("vm", MasterIdentity.of("vm", LOGICAL), 1 << 20);
            try (Partition p = pool.openPartition("vm"))
            {
                write(p, model, 40 * BLOCK, randomBlocks(new Random(1), 4));
                p.commit();
                device = p.deviceOffsetOf(42 * BLOCK) + 17;
            }
        }
        final byte[] image = io.image();
        image[(int)device] ^= 1;
        try (Pool pool = Pool.open(new MemoryPoolIo(image), true); Partition p = pool.openPartition("vm"); Arena arena = Arena.ofConfined())
        {
            final IOException ex = assertThrows(IOException.class, () -> p.read(40 * BLOCK, arena.allocate(4 * BLOCK, BLOCK)));
            assertEquals("checksum mismatch in partition 'vm' of /dev/memory at logical offset " + 42 * BLOCK +
                " (device offset " + (device - 17) + ")", ex.getMessage());
            p.read(40 * BLOCK, arena.allocate(2 * BLOCK, BLOCK)); // the blocks before it are fine
        }
    }

    @Test
    void aCrashDuringWritesAndCommitsKeepsEveryCommittedByte() throws Exception
    {
        final Random random = new Random(99);
        int crashPoints = 0;
        for (int crashAfter = 0; ; crashAfter += 1 + random.nextInt(4))
        {
            final MemoryPoolIo io = new MemoryPoolIo(8 << 20);
            final Model committed = new Model(CRASH_LOGICAL);
            Model pending = committed.copy();
            final Random data = new Random(5);
            boolean crashed = false;
            try (Pool pool = Pool.create(io, OPTIONS, 1))
            {
                pool.allocate("vm", MasterIdentity.of("vm", CRASH_LOGICAL), 3 << 20);
                try (Partition p = pool.openPartition("vm"))
                {
                    io.writesBeforeCrash = crashAfter;
                    for (int round = 0; round < 6 && !crashed; round++)
                    {
                        try
                        {
                            for (int i = 0; i < 5; i++)
                            {
                                // New blocks only: in-place overwrites are not crash-atomic (see Partition).
                                final int blocks = 1 + data.nextInt(16);
                                final long offset = (long)(round * 150 + i * 30 + data.nextInt(14)) * BLOCK;
                                write(p, pending, offset, randomBlocks(data, blocks));
                            }
                            p.commit();
                            pending = pending.copy();
                            System.arraycopy(pending.bytes, 0, committed.bytes, 0, CRASH_LOGICAL);
                            committed.written.or(pending.written);
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
            for (int trial = 0; trial < 2; trial++)
            {
                try (Pool pool = Pool.open(new MemoryPoolIo(io.crashImage(random)), true); Partition p = pool.openPartition("vm"))
                {
                    // Either the last commit or the one in flight: every committed byte is there either way.
                    final boolean inFlightLanded = p.usedBytes() != (long)committed.written.cardinality() * BLOCK;
                    assertMatches(p, inFlightLanded ? pending : committed);
                }
            }
        }
        assertTrue(crashPoints >= 20, crashPoints + " crash points");
    }
}
