package io.presync.pool;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;

/**
 * Child process of {@link PartitionCrashTest}: applies seeded rounds of writes, overwrites and
 * discards to partition "vm", stores the round number as the job state and commits after each,
 * printing {@code committed ROUND GENERATION}, until it is killed. Even rounds write synchronously
 * ({@link Partition#write}); odd rounds submit every write through the ring without waiting
 * ({@link Partition#submitWrite} from registered buffers, so several are in flight when the kill lands
 * and the commit is what waits for them), the replication job's path.
 */
public final class PartitionCrashChild
{
    static final int LOGICAL = 8 << 20;
    /** Rounds write into the first 2 MiB: most writes overwrite blocks of earlier, committed rounds. */
    static final int WINDOW_BLOCKS = 512;
    static final int WRITES_PER_ROUND = 6;

    private PartitionCrashChild()
    {
    }

    /** The changes of one round: {offset, data} pairs, data null for a discard; the same in parent and child. */
    record Round(long[] offsets, byte[][] data, int[] blocks)
    {
        static Round of(final long seed, final int round)
        {
            final Random random = new Random(seed * 1_000_003L + round);
            final long[] offsets = new long[WRITES_PER_ROUND];
            final byte[][] data = new byte[WRITES_PER_ROUND][];
            final int[] blocks = new int[WRITES_PER_ROUND];
            for (int i = 0; i < WRITES_PER_ROUND; i++)
            {
                blocks[i] = 1 + random.nextInt(32);
                offsets[i] = (long)random.nextInt(WINDOW_BLOCKS - blocks[i]) * PartitionTest.BLOCK;
                if (random.nextInt(8) != 0)
                {
                    data[i] = new byte[blocks[i] * PartitionTest.BLOCK];
                    random.nextBytes(data[i]);
                }
            }
            return new Round(offsets, data, blocks);
        }
    }

    public static void main(final String[] args) throws Exception
    {
        final Path device = Path.of(args[0]);
        final long seed = Long.parseLong(args[1]);
        int round = Integer.parseInt(args[2]);
        try (Pool pool = Pool.open(device); Partition partition = pool.openPartition("vm"); Arena arena = Arena.ofConfined())
        {
            final MemorySegment[] buffers = new MemorySegment[WRITES_PER_ROUND];
            for (int i = 0; i < WRITES_PER_ROUND; i++)
            {
                buffers[i] = arena.allocate(32 * PartitionTest.BLOCK, PartitionTest.BLOCK);
            }
            partition.registerBuffers(buffers);
            System.out.println("ready " + pool.info().generation());
            System.out.flush();
            while (true)
            {
                final Round r = Round.of(seed, round);
                final boolean async = (round & 1) == 1;
                for (int i = 0; i < WRITES_PER_ROUND; i++)
                {
                    if (r.data()[i] == null)
                    {
                        partition.discard(r.offsets()[i], (long)r.blocks()[i] * PartitionTest.BLOCK);
                        continue;
                    }
                    // A buffer per write of the round: an async write's buffer stays untouched until the commit drains it.
                    final MemorySegment slice = buffers[i].asSlice(0, r.data()[i].length);
                    MemorySegment.copy(r.data()[i], 0, slice, ValueLayout.JAVA_BYTE, 0, r.data()[i].length);
                    if (async)
                    {
                        partition.submitWrite(r.offsets()[i], slice, i, i);
                    }
                    else
                    {
                        partition.write(r.offsets()[i], slice);
                    }
                }
                partition.setJobState(("round " + round).getBytes(StandardCharsets.UTF_8));
                partition.commit();
                System.out.println("committed " + round + " " + pool.info().generation());
                System.out.flush();
                round++;
            }
        }
    }
}
