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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SIGKILLs a child JVM after a random delay (so at random points) while it writes, overwrites and discards data in rounds, half of them through the ring with several writes in flight ({@link PartitionCrashChild}), and
 * commits them (so kills land during overwrites of committed data and during commits), then reopens:
 * the pool metadata must be valid, the job state must name the last committed round, and the whole
 * partition must read back (every mapped block CRC-checked) exactly as of that round: overwrites are
 * copy-on-write, so nothing the killed round did is visible.
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
            pool.allocate("vm", MasterIdentity.of("vm", PartitionCrashChild.LOGICAL), 4 << 20);
        }
        final PartitionTest.Model model = new PartitionTest.Model(PartitionCrashChild.LOGICAL);
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
                final byte[] state = partition.jobState();
                assertEquals(committedRound, state == null ? -1 : Integer.parseInt(new String(state, StandardCharsets.UTF_8).substring(6)),
                    "kill " + kill + ": the job state names the committed round");
                for (int round = nextRound; round <= committedRound; round++)
                {
                    apply(PartitionCrashChild.Round.of(seed, round), model);
                    checkedRounds++;
                }
                nextRound = committedRound + 1;
                PartitionTest.assertMatches(partition, model);
                partition.checkSpace();
            }
        }
        System.out.println("PartitionCrashTest: " + KILLS + " kills, " + checkedRounds + " committed rounds checked");
        assertTrue(checkedRounds > 0);
    }

    private static void apply(final PartitionCrashChild.Round round, final PartitionTest.Model model)
    {
        for (int i = 0; i < round.offsets().length; i++)
        {
            final int offset = (int)round.offsets()[i];
            final int length = round.blocks()[i] * BLOCK;
            if (round.data()[i] == null)
            {
                Arrays.fill(model.bytes, offset, offset + length, (byte)0);
                model.written.clear(offset / BLOCK, (offset + length) / BLOCK);
            }
            else
            {
                model.write(offset, round.data()[i]);
            }
        }
    }
}
