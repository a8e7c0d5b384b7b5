package io.presync.pool;

import io.presync.device.BlockDevice;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;

/**
 * Re-transfers exactly the ranges a {@link Verifier} found wrong: reads them from the master, writes
 * them into the partition through its data path (which stores fresh CRC32Cs, and maps ranges that
 * were unmapped), commits the pool metadata, then verifies those ranges again. Both kinds are
 * repaired the same way because the master is the truth in both.
 *
 * <p>Same precondition as verification: a consistent point, no writes in flight to the master.
 */
public final class Repairer
{
    private Repairer()
    {
    }

    /**
     * Repairs the mismatches of {@code before} in an open, writable {@code partition} and re-verifies them.
     *
     * @throws io.presync.RefusedException when the master's size is not the partition's, or the
     *         partition has too little free data space for ranges that were unmapped.
     */
    public static RepairResult repair(final BlockDevice master, final Partition partition, final VerifyResult before)
        throws IOException
    {
        final List<Mismatch> ranges = before.mismatches();
        if (ranges.isEmpty())
        {
            return new RepairResult(before, List.of(), 0, new VerifyResult(List.of(), 0));
        }
        // Refused before anything is written.
        Verifier.checkMaster(master, partition);
        long repairedBytes = 0;
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment buffer = BlockDevice.allocateAligned(arena, Verifier.CHUNK_BYTES, Verifier.BLOCK);
            for (final Mismatch range : ranges)
            {
                for (long offset = range.offsetBytes(); offset < range.endBytes(); offset += Verifier.CHUNK_BYTES)
                {
                    final MemorySegment chunk = buffer.asSlice(0, Math.min(Verifier.CHUNK_BYTES, range.endBytes() - offset));
                    master.read(chunk, offset);
                    partition.write(offset, chunk);
                }
                repairedBytes += range.lengthBytes();
            }
        }
        partition.commit();
        final VerifyResult after = Verifier.verify(master, partition, ranges);
        return new RepairResult(before, ranges, repairedBytes, after);
    }

    /**
     * Opens the master read-only and the pool for changes, verifies partition {@code name} in full,
     * repairs what it found and re-verifies those ranges.
     */
    public static RepairResult repair(final Path master, final Path pool, final String name) throws IOException
    {
        Verifier.refuseSame(master, pool);
        try (BlockDevice masterDevice = Verifier.openMaster(master);
             Pool opened = Pool.open(pool);
             Partition partition = opened.openPartition(name))
        {
            final VerifyResult before = Verifier.verify(masterDevice, partition);
            return repair(masterDevice, partition, before);
        }
    }
}
