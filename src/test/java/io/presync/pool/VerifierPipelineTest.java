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
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@link Verifier}'s ring pipeline on a fragmented partition: a chunk's slave data lies in many
 * device pieces (more reads than the ring has entries across the sets in flight), data blocks, all-zero
 * blocks written as data, and holes alternate. The ring, the ring reading into lent memory (a replication job's
 * idle read buffer, here full of stale bytes) and the synchronous path give the verdicts of
 * {@link VerifierShortcutsTest#reference}, which reads and hashes both sides of every block, before and after
 * slave corruption (the partition's first and last mapped blocks, adjacent blocks) and master changes.
 */
class VerifierPipelineTest
{
    private static final int BLOCK = 4096;
    private static final long LOGICAL = 16L << 20;
    private static final int BLOCKS = (int)(LOGICAL / BLOCK);

    @RegisterExtension
    final LoopDevices loops = new LoopDevices();

    @Test
    void ringAndSynchronousReadsGiveTheReferenceVerdictsOnAFragmentedPartition() throws Exception
    {
        final LoopDevices.Loop master = loops.create(LOGICAL);
        final LoopDevices.Loop poolLoop = loops.create(40L << 20);
        final Random random = new Random(17);
        // Block kinds: 0 hole, 1 random data, 2 zeros written (allocated on the master, mapped in the partition).
        final int[] kind = new int[BLOCKS];
        final List<Integer> written = new ArrayList<>();
        for (int b = 0; b < BLOCKS; b++)
        {
            final int r = random.nextInt(10);
            kind[b] = b == 0 || b == BLOCKS - 1 ? 1 : r < 3 ? 0 : r < 9 ? 1 : 2;
            if (kind[b] != 0)
            {
                written.add(b);
            }
        }
        // Written in a shuffled order, the partition maps neighbours to scattered data space.
        Collections.shuffle(written, random);
        final byte[] block = new byte[BLOCK];
        try (BlockDevice m = BlockDevice.open(master.device(), OpenOptions.forWriting());
             Pool pool = Pool.create(poolLoop.device(), Pool.CreateOptions.defaults());
             Arena arena = Arena.ofConfined())
        {
            pool.allocate("vm", MasterIdentity.of(master.path(), LOGICAL), 16L << 20);
            try (Partition p = pool.openPartition("vm"))
            {
                final MemorySegment buffer = BlockDevice.allocateAligned(arena, BLOCK, BLOCK);
                for (final int b : written)
                {
                    if (kind[b] == 1)
                    {
                        random.nextBytes(block);
                    }
                    else
                    {
                        java.util.Arrays.fill(block, (byte)0);
                    }
                    MemorySegment.copy(block, 0, buffer, ValueLayout.JAVA_BYTE, 0, BLOCK);
                    m.write(buffer, (long)b * BLOCK);
                    p.write((long)b * BLOCK, buffer);
                }
                p.commit();
                assertTrue(p.extentCount() > 1000, "fragmented: " + p.extentCount() + " extents");
            }
            m.flush();
        }
        assertEquals(List.of(), verify(master, poolLoop, Verifier.Scope.FULL, true));
        assertEquals(List.of(), verify(master, poolLoop, Verifier.Scope.FULL, false));
        assertEquals(List.of(), verifyInLentMemory(master, poolLoop, Verifier.Scope.FULL));

        // Slave corruption: the first and last logical blocks, two adjacent blocks, a zero block made non-zero.
        final int zero = written.stream().filter(b -> kind[b] == 2 && b > 10 && b < BLOCKS - 10).findFirst().orElseThrow();
        final int[] corrupt = {0, 1, 2, zero, BLOCKS - 1};
        try (Pool pool = Pool.openReadOnly(poolLoop.device()); Partition p = pool.viewPartition("vm"))
        {
            for (final int b : corrupt)
            {
                if (kind[b] != 0)
                {
                    random.nextBytes(block);
                    VerifyRepairTest.writeDevice(poolLoop.device(), p.deviceOffsetOf((long)b * BLOCK), block);
                }
            }
        }
        // Master changes: data rewritten, data in a hole, zeros over data.
        final int hole = findKind(kind, 0, 1000);
        final int data = findKind(kind, 1, 2000);
        final int zeroed = findKind(kind, 1, 3000);
        random.nextBytes(block);
        VerifyRepairTest.writeDevice(master.device(), (long)data * BLOCK, block);
        VerifyRepairTest.writeDevice(master.device(), (long)hole * BLOCK, block);
        VerifyRepairTest.writeDevice(master.device(), (long)zeroed * BLOCK, new byte[BLOCK]);

        final List<Mismatch> expected = VerifierShortcutsTest.reference(master, poolLoop, false);
        assertTrue(expected.size() >= 6, expected.toString());
        assertEquals(expected, verify(master, poolLoop, Verifier.Scope.FULL, true));
        assertEquals(expected, verify(master, poolLoop, Verifier.Scope.FULL, false));
        assertEquals(expected, verifyInLentMemory(master, poolLoop, Verifier.Scope.FULL));
        final List<Mismatch> slaveOnly = VerifierShortcutsTest.reference(master, poolLoop, true);
        assertEquals(slaveOnly, verify(master, poolLoop, Verifier.Scope.SLAVE, true));
        assertEquals(slaveOnly, verify(master, poolLoop, Verifier.Scope.SLAVE, false));
        assertEquals(slaveOnly, verifyInLentMemory(master, poolLoop, Verifier.Scope.SLAVE));
        // Only the given ranges (what repair checks its work with): the same verdicts inside them.
        try (BlockDevice m = BlockDevice.open(master.device(), OpenOptions.forReading());
             Pool pool = Pool.openReadOnly(poolLoop.device());
             Partition p = pool.viewPartition("vm"))
        {
            final VerifyResult ranges = Verifier.verify(m, p, expected);
            assertEquals(expected, ranges.mismatches());
        }
    }

    /** Through the ring into memory the caller lends, filled with stale bytes first; too little memory is refused. */
    private static List<Mismatch> verifyInLentMemory(final LoopDevices.Loop master, final LoopDevices.Loop poolLoop,
        final Verifier.Scope scope) throws Exception
    {
        try (BlockDevice m = BlockDevice.open(master.device(), OpenOptions.forReading());
             Pool pool = Pool.openReadOnly(poolLoop.device());
             Partition p = pool.viewPartition("vm");
             Arena arena = Arena.ofConfined())
        {
            final MemorySegment memory = BlockDevice.allocateAligned(arena, Verifier.BUFFER_BYTES, BLOCK);
            memory.fill((byte)0x5a);
            assertThrows(IllegalArgumentException.class,
                () -> Verifier.verify(m, p, scope, memory.asSlice(0, Verifier.BUFFER_BYTES - BLOCK)));
            final VerifyResult result = Verifier.verify(m, p, scope, memory);
            assertEquals(LOGICAL, result.checkedBytes());
            return result.mismatches();
        }
    }

    private static int findKind(final int[] kind, final int wanted, final int from)
    {
        for (int b = from; b < kind.length; b++)
        {
            if (kind[b] == wanted)
            {
                return b;
            }
        }
        throw new IllegalStateException("no block of kind " + wanted);
    }

    private static List<Mismatch> verify(final LoopDevices.Loop master, final LoopDevices.Loop poolLoop, final Verifier.Scope scope,
        final boolean ring) throws Exception
    {
        try (BlockDevice m = BlockDevice.open(master.device(), OpenOptions.forReading());
             Pool pool = Pool.openReadOnly(poolLoop.device());
             Partition p = pool.viewPartition("vm"))
        {
            final VerifyResult result = Verifier.verify(m, p, scope, ring);
            assertEquals(LOGICAL, result.checkedBytes());
            return result.mismatches();
        }
    }
}
