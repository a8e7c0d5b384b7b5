package io.presync.pool;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Random;

/**
 * Child process of {@link PartitionCrashTest}: writes seeded rounds of data into partition "vm" and
 * commits after each, printing {@code committed ROUND GENERATION}, until it is killed.
 */
public final class PartitionCrashChild
{
    static final int LOGICAL = 8 << 20;
    static final int WRITES_PER_ROUND = 4;

    private PartitionCrashChild()
    {
    }

    /** The writes of one round: {offsetBlocks, blocks} pairs and their bytes, the same in parent and child. */
    record Round(long[] offsets, byte[][] data)
    {
        static Round of(final long seed, final int round)
        {
            final Random random = new Random(seed * 1_000_003L + round);
            final long[] offsets = new long[WRITES_PER_ROUND];
            final byte[][] data = new byte[WRITES_PER_ROUND][];
            for (int i = 0; i < WRITES_PER_ROUND; i++)
            {
                final int blocks = 1 + random.nextInt(16);
                offsets[i] = (long)random.nextInt(LOGICAL / PartitionTest.BLOCK - blocks) * PartitionTest.BLOCK;
                data[i] = new byte[blocks * PartitionTest.BLOCK];
                random.nextBytes(data[i]);
            }
            return new Round(offsets, data);
        }
    }

    public static void main(final String[] args) throws Exception
    {
        final Path device = Path.of(args[0]);
        final long seed = Long.parseLong(args[1]);
        int round = Integer.parseInt(args[2]);
        try (Pool pool = Pool.open(device); Partition partition = pool.openPartition("vm"); Arena arena = Arena.ofConfined())
        {
            final MemorySegment buffer = arena.allocate(16 * PartitionTest.BLOCK, PartitionTest.BLOCK);
            System.out.println("ready " + pool.info().generation());
            System.out.flush();
            while (true)
            {
                final Round r = Round.of(seed, round);
                for (int i = 0; i < WRITES_PER_ROUND; i++)
                {
                    final MemorySegment slice = buffer.asSlice(0, r.data()[i].length);
                    MemorySegment.copy(r.data()[i], 0, slice, ValueLayout.JAVA_BYTE, 0, r.data()[i].length);
                    partition.write(r.offsets()[i], slice);
                }
                partition.commit();
                System.out.println("committed " + round + " " + pool.info().generation());
                System.out.flush();
                round++;
            }
        }
    }
}
