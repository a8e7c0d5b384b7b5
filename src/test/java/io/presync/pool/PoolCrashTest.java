package io.presync.pool;

import io.presync.device.LoopDevices;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kills a child JVM with SIGKILL at random points while it allocates, extends, trims and deletes
 * partitions, then reopens the pool: it must be valid (open checks CRCs and that segments and free
 * space tile the device) and hold exactly the state of a generation the child reached, no older than
 * the last one it reported committed.
 */
class PoolCrashTest
{
    // Ten here (the data-path crash test adds twenty more kills, and PoolMetadataTest crashes at every
    // write of each metadata operation in memory); a hundred with presync.long.
    private static final int KILLS = Boolean.getBoolean("presync.long") ? 100 : 10;

    @RegisterExtension
    final LoopDevices loops = new LoopDevices();

    @Test
    void sigkillAtRandomPointsLeavesACommittedGeneration() throws Exception
    {
        final LoopDevices.Loop loop = loops.create(64 << 20);
        Pool.create(loop.device(), PoolCrashChild.OPTIONS).close();
        final long sizeBytes;
        try (Pool pool = Pool.openReadOnly(loop.device()))
        {
            sizeBytes = pool.info().unitCount() * pool.info().unitBytes();
        }
        // The same sequence replayed in memory gives the exact state of every generation.
        final Pool replay = Pool.create(new MemoryPoolIo((int)sizeBytes), PoolCrashChild.OPTIONS, 0);
        final Random random = new Random(2026);
        int newerThanReported = 0;
        for (int kill = 0; kill < KILLS; kill++)
        {
            final long seed = random.nextLong();
            final Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), PoolCrashChild.class.getName(), loop.path(), Long.toString(seed))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            final BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            final String ready = out.readLine();
            assertTrue(ready != null && ready.startsWith("ready"), "child did not start: " + ready);
            Thread.sleep(random.nextInt(300));
            // SIGKILL by pid: Process.destroyForcibly would also close our end of its output.
            LoopDevices.run("kill", "-KILL", Long.toString(child.pid()));
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            long reported = Long.parseLong(ready.split(" ")[1]);
            for (String line = out.readLine(); line != null; line = out.readLine())
            {
                reported = Long.parseLong(line.split(" ")[1]);
            }

            try (Pool pool = Pool.openReadOnly(loop.device()))
            {
                final long generation = pool.info().generation();
                assertTrue(generation == reported || generation == reported + 1,
                    "kill " + kill + ": reopened generation " + generation + ", child reported " + reported);
                newerThanReported += generation == reported + 1 ? 1 : 0;
                final Random steps = new Random(seed);
                while (replay.info().generation() < generation)
                {
                    PoolCrashChild.step(replay, steps);
                }
                assertEquals(replay.partitions(), pool.partitions(), "kill " + kill + " at generation " + generation);
            }
        }
        replay.close();
        System.out.println("PoolCrashTest: " + KILLS + " kills, " + newerThanReported + " landed after a commit the child had not reported");
    }
}
