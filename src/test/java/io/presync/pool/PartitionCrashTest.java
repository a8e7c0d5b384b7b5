package io.presync.pool;

import io.presync.device.LoopDevices;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SIGKILLs a child JVM at random points while it writes data rounds and commits them, then reopens:
 * the pool metadata must be valid and every block of every committed round must read back (CRC
 * checked) with the committed bytes. Blocks the killed round was overwriting are excluded until a
 * later committed round rewrites them (overwrites are in place, see {@link Partition}).
 */
class PartitionCrashTest
{
    private static final int KILLS = Boolean.getBoolean("presync.long") ? 100 : 20;
    private static final int BLOCK = PartitionTest.BLOCK;

    @RegisterExtension
    final LoopDevices loops = new LoopDevices();

    @Test
    void sigkillDuringWritesAndCommitsKeepsEveryCommittedBlock() throws Exception
    {
        final LoopDevices.Loop loop = loops.create(24 << 20);
        try (Pool pool = Pool.create(loop.device(), new Pool.CreateOptions(64 << 10, 4, true)))
        {
            pool.allocate("vm", MasterIdentity.of("vm", PartitionCrashChild.LOGICAL), 12 << 20);
        }
        final byte[] model = new byte[PartitionCrashChild.LOGICAL];
        final BitSet written = new BitSet();
        final BitSet unknown = new BitSet();
        final Random random = new Random(77);
        int nextRound = 0;
        int checkedRounds = 0;
        for (int kill = 0; kill < KILLS; kill++)
        {
            final long seed = random.nextLong();
            final Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), PartitionCrashChild.class.getName(), loop.path(),
                Long.toString(seed), Integer.toString(nextRound))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            final BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            final String ready = out.readLine();
            assertTrue(ready != null && ready.startsWith("ready"), "child did not start: " + ready);
            Thread.sleep(random.nextInt(300));
            LoopDevices.run("kill", "-KILL", Long.toString(child.pid()));
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            long reportedGeneration = Long.parseLong(ready.split(" ")[1]);
            int reportedRound = nextRound - 1;
            for (String line = out.readLine(); line != null; line = out.readLine())
            {
                final String[] fields = line.split(" ");
                reportedRound = Integer.parseInt(fields[1]);
                reportedGeneration = Long.parseLong(fields[2]);
            }

            try (Pool pool = Pool.open(loop.device()); Partition partition = pool.openPartition("vm"); Arena arena = Arena.ofConfined())
            {
                final long generation = pool.info().generation();
                assertTrue(generation == reportedGeneration || generation == reportedGeneration + 1,
                    "kill " + kill + ": generation " + generation + ", child reported " + reportedGeneration);
                final int committedRound = generation == reportedGeneration ? reportedRound : reportedRound + 1;
                for (int round = nextRound; round <= committedRound; round++)
                {
                    apply(PartitionCrashChild.Round.of(seed, round), model, written, unknown);
                    checkedRounds++;
                }
                // The round after the committed one may have been half written when the child died.
                final PartitionCrashChild.Round inFlight = PartitionCrashChild.Round.of(seed, committedRound + 1);
                for (int i = 0; i < inFlight.offsets().length; i++)
                {
                    final int first = (int)(inFlight.offsets()[i] / BLOCK);
                    unknown.set(first, first + inFlight.data()[i].length / BLOCK);
                }
                nextRound = committedRound + 1;

                final MemorySegment block = arena.allocate(BLOCK, BLOCK);
                for (int b = written.nextSetBit(0); b >= 0; b = written.nextSetBit(b + 1))
                {
                    if (!unknown.get(b))
                    {
                        partition.read((long)b * BLOCK, block);
                        assertArrayEquals(Arrays.copyOfRange(model, b * BLOCK, (b + 1) * BLOCK), block.toArray(ValueLayout.JAVA_BYTE),
                            "kill " + kill + ": block " + b + " of a committed round");
                    }
                }
            }
        }
        System.out.println("PartitionCrashTest: " + KILLS + " kills, " + checkedRounds + " committed rounds checked");
        assertTrue(checkedRounds > 0);
    }

    private static void apply(final PartitionCrashChild.Round round, final byte[] model, final BitSet written, final BitSet unknown)
    {
        for (int i = 0; i < round.offsets().length; i++)
        {
            final int offset = (int)round.offsets()[i];
            System.arraycopy(round.data()[i], 0, model, offset, round.data()[i].length);
            written.set(offset / BLOCK, (offset + round.data()[i].length) / BLOCK);
            unknown.clear(offset / BLOCK, (offset + round.data()[i].length) / BLOCK);
        }
    }
}
