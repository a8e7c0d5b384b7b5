package io.presync.pool;

import io.presync.device.BlockDevice;
import io.presync.device.LoopDevices;
import io.presync.device.OpenOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@link Verifier}'s shortcuts give the verdicts of hashing both sides of every block: a master on a
 * sparse loop device (blocks in its backing file's holes are compared as zeros without being read), blocks
 * equal on both sides (hashed once), all-zero master blocks where the partition maps nothing; and
 * {@link Verifier.Scope#SLAVE} reports slave corruption only. Every verdict is also checked against a
 * reference that reads and hashes both sides of every block.
 */
class VerifierShortcutsTest
{
    private static final int BLOCK = 4096;
    private static final long LOGICAL = 16L << 20;
    private static final int BLOCKS = (int)(LOGICAL / BLOCK);

    @RegisterExtension
    final LoopDevices loops = new LoopDevices();

    @Test
    void sparseMasterShortcutsGiveTheReferenceVerdicts() throws Exception
    {
        final LoopDevices.Loop master = loops.create(LOGICAL);
        final LoopDevices.Loop poolLoop = loops.create(32L << 20);
        final Random random = new Random(8);
        // Data in [0, 1000) and [1100, 2500) (spanning a 4 MiB chunk edge); the rest is a hole of the backing file.
        final boolean[] data = new boolean[BLOCKS];
        for (int b = 0; b < BLOCKS; b++)
        {
            data[b] = b < 1000 || b >= 1100 && b < 2500;
        }
        final byte[] block = new byte[BLOCK];
        try (BlockDevice m = BlockDevice.open(master.device(), OpenOptions.forWriting());
             Pool pool = Pool.create(poolLoop.device(), Pool.CreateOptions.defaults());
             Arena arena = Arena.ofConfined())
        {
            pool.allocate("vm", MasterIdentity.of(master.path(), LOGICAL), 18L << 20);
            try (Partition p = pool.openPartition("vm"))
            {
                final MemorySegment buffer = BlockDevice.allocateAligned(arena, BLOCK, BLOCK);
                for (int b = 0; b < BLOCKS; b++)
                {
                    if (data[b])
                    {
                        random.nextBytes(block);
                        MemorySegment.copy(block, 0, buffer, ValueLayout.JAVA_BYTE, 0, BLOCK);
                        m.write(buffer, (long)b * BLOCK);
                        p.write((long)b * BLOCK, buffer);
                    }
                }
                p.commit();
            }
            m.flush();
        }
        assertTrue(master.allocatedBytes() <= 2500L * BLOCK, "the master is sparse: " + master.allocatedBytes());
        assertEquals(List.of(), verify(master, poolLoop, Verifier.Scope.FULL));
        assertEquals(List.of(), reference(master, poolLoop, false));

        // Master changes: a mapped block rewritten, mapped blocks discarded (now a hole: zeros), data in a
        // hole the partition does not map, zeros written into such a hole (allocated, still the zero block).
        random.nextBytes(block);
        VerifyRepairTest.writeDevice(master.device(), 200L * BLOCK, block);
        LoopDevices.run("blkdiscard", "-o", String.valueOf(500L * BLOCK), "-l", String.valueOf(3L * BLOCK), master.path());
        random.nextBytes(block);
        VerifyRepairTest.writeDevice(master.device(), 3500L * BLOCK, block);
        VerifyRepairTest.writeDevice(master.device(), 3600L * BLOCK, new byte[BLOCK]);
        // Slave corruption underneath Presync: block 10 and block 501 (also discarded on the master).
        final long[] corrupt = {10, 501};
        try (Pool pool = Pool.openReadOnly(poolLoop.device()); Partition p = pool.viewPartition("vm"))
        {
            for (final long b : corrupt)
            {
                random.nextBytes(block);
                VerifyRepairTest.writeDevice(poolLoop.device(), p.deviceOffsetOf(b * BLOCK), block);
            }
        }
        final List<Mismatch> expected = List.of(
            new Mismatch(10L * BLOCK, BLOCK, Mismatch.Kind.SLAVE_CORRUPT),
            new Mismatch(200L * BLOCK, BLOCK, Mismatch.Kind.MASTER_DIFFERS),
            new Mismatch(500L * BLOCK, BLOCK, Mismatch.Kind.MASTER_DIFFERS),
            new Mismatch(501L * BLOCK, BLOCK, Mismatch.Kind.SLAVE_CORRUPT),
            new Mismatch(502L * BLOCK, BLOCK, Mismatch.Kind.MASTER_DIFFERS),
            new Mismatch(3500L * BLOCK, BLOCK, Mismatch.Kind.MASTER_DIFFERS));
        assertEquals(expected, reference(master, poolLoop, false));
        assertEquals(expected, verify(master, poolLoop, Verifier.Scope.FULL));
        final List<Mismatch> slaveOnly = List.of(
            new Mismatch(10L * BLOCK, BLOCK, Mismatch.Kind.SLAVE_CORRUPT),
            new Mismatch(501L * BLOCK, BLOCK, Mismatch.Kind.SLAVE_CORRUPT));
        assertEquals(slaveOnly, reference(master, poolLoop, true));
        assertEquals(slaveOnly, verify(master, poolLoop, Verifier.Scope.SLAVE));
    }

    private static List<Mismatch> verify(final LoopDevices.Loop master, final LoopDevices.Loop poolLoop, final Verifier.Scope scope)
        throws Exception
    {
        try (BlockDevice m = BlockDevice.open(master.device(), OpenOptions.forReading());
             Pool pool = Pool.openReadOnly(poolLoop.device());
             Partition p = pool.viewPartition("vm"))
        {
            final VerifyResult result = Verifier.verify(m, p, scope);
            assertEquals(LOGICAL, result.checkedBytes());
            return result.mismatches();
        }
    }

    /** Reads and hashes both sides of every block: the rule of the Verifier's class comment, without shortcuts. */
    static List<Mismatch> reference(final LoopDevices.Loop master, final LoopDevices.Loop poolLoop, final boolean slaveOnly)
        throws Exception
    {
        final byte[] masterBytes = VerifyRepairTest.readDevice(master.device());
        final MismatchRuns runs = new MismatchRuns(BLOCK);
        try (Pool pool = Pool.openReadOnly(poolLoop.device());
             Partition p = pool.viewPartition("vm");
             Arena arena = Arena.ofConfined())
        {
            final int[] crcs = new int[BLOCKS];
            final long[] hashes = new long[BLOCKS];
            final boolean[] mapped = new boolean[BLOCKS];
            p.checksums(0, LOGICAL, crcs, hashes);
            final MemorySegment slave = BlockDevice.allocateAligned(arena, LOGICAL, BLOCK);
            p.readUnchecked(0, slave, mapped);
            final MemorySegment masterSegment = MemorySegment.ofArray(masterBytes);
            for (int b = 0; b < BLOCKS; b++)
            {
                final long at = (long)b * BLOCK;
                Mismatch.Kind kind = null;
                if (mapped[b] && !Verifier.matchesStored(crc(slave, at), BlockHash.hash(slave, at), crcs[b], hashes[b]))
                {
                    kind = Mismatch.Kind.SLAVE_CORRUPT;
                }
                else if (!slaveOnly && !Verifier.matchesStored(crc(masterSegment, at), BlockHash.hash(masterSegment, at), crcs[b], hashes[b]))
                {
                    kind = Mismatch.Kind.MASTER_DIFFERS;
                }
                runs.note(at, kind);
            }
        }
        return new ArrayList<>(runs.finish());
    }

    private static int crc(final MemorySegment data, final long at)
    {
        final CRC32C crc = new CRC32C();
        crc.update(data.asSlice(at, BLOCK).toArray(ValueLayout.JAVA_BYTE));
        return (int)crc.getValue();
    }
}
