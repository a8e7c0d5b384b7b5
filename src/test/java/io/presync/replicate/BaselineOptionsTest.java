package io.presync.replicate;

import io.presync.cli.Main;
import io.presync.device.BlockDevice;
import io.presync.device.LoopDevices;
import io.presync.device.OpenOptions;
import io.presync.pool.Pool;
import io.presync.uring.Ring;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The benchmark baselines of the job (LBA copy order, coarse tracking) still give an equal replica. */
class BaselineOptionsTest
{
    private static final long MIB = 1L << 20;
    private static final long MASTER_BYTES = 64 * MIB;

    @RegisterExtension
    final LoopDevices loops = new LoopDevices();

    @Test
    void lbaOrderWithCoarseTrackingConvergesToAnEqualReplica() throws Exception
    {
        Assumptions.assumeTrue(Ring.unavailableReason() == null, "io_uring unavailable: " + Ring.unavailableReason());
        final LoopDevices.Loop master = loops.create(MASTER_BYTES);
        final Random random = new Random(7);
        try (BlockDevice dev = BlockDevice.open(master.device(), OpenOptions.forWriting()); Arena arena = Arena.ofConfined())
        {
            final MemorySegment buffer = BlockDevice.allocateAligned(arena, 4 * MIB, 4096);
            for (final long at : new long[] {0, 20 * MIB, 44 * MIB})
            {
                ReplicaFixtures.fillRandom(buffer, random);
                dev.write(buffer, at);
            }
        }
        final LoopDevices.Loop pool = loops.create(256 * MIB);
        Pool.create(pool.device(), Pool.CreateOptions.defaults()).close();
        final ReplicationJob.Options o = ReplicaFixtures.jobOptions(master, pool, "m", Files.createTempDirectory(loops.folder(), "log-"));
        o.commitIntervalNanos = TimeUnit.MILLISECONDS.toNanos(50);
        o.lbaOrder = true;
        o.coarseTracking = true;
        final AtomicBoolean stop = new AtomicBoolean();
        final ReplicationJob.Report report;
        try (ReplicationJob job = ReplicationJob.start(o))
        {
            // Random 4-64 KiB writes over the master, one every 5 ms or so, until stopped.
            final Thread writer = ReplicaFixtures.startRandomWriter(master.device(), MASTER_BYTES, stop, 3, 5);
            // Under this writer coarse tracking may never see an empty dirty set on a loaded machine
            // (every 4 KiB write dirties a whole 1 MiB granule): a consistent point or 20 s, whichever
            // comes first; the run after the writer stops must converge.
            job.run(true, TimeUnit.SECONDS.toNanos(20), null);
            Thread.sleep(200);
            stop.set(true);
            writer.join();
            Thread.sleep(50);
            report = job.run(true, null);
            assertEquals("ok", job.report(true).verify());
        }
        assertEquals(12 * MIB, report.copiedBytes());
        // Coarse tracking dirties whole 1 MiB granules, so every re-copy is whole granules.
        assertTrue(report.streamedBytes() > 0 && report.streamedBytes() % MIB == 0, report.toString());
        final Path image = loops.folder().resolve("export.img");
        try (Pool opened = Pool.openReadOnly(pool.device()))
        {
            opened.export("m", image, false);
        }
        assertEquals(-1, Arrays.mismatch(Files.readAllBytes(master.backingFile()), Files.readAllBytes(image)));
    }

    @Test
    void unknownCopyOrderOrTrackingIsRefused()
    {
        for (final String[] bad : new String[][] {{"--copy-order", "random"}, {"--tracking", "fine"}, {"--stream", "lazy"}})
        {
            final StringWriter err = new StringWriter();
            final String[] args = {"replicate", "--master", "/dev/null", "--pool", "/dev/null", bad[0], bad[1]};
            final int code = Main.execute(args, new PrintWriter(new StringWriter()), new PrintWriter(err, true));
            assertEquals(Main.EXIT_USAGE, code, err.toString());
            assertTrue(err.toString().contains(bad[0] + " " + bad[1]), err.toString());
        }
    }

}
