package io.presync.replicate;

import io.presync.RefusedException;
import io.presync.device.BlockDevice;
import io.presync.device.LoopDevices;
import io.presync.device.OpenOptions;
import io.presync.pool.MasterIdentity;
import io.presync.pool.Pool;
import io.presync.stream.TraceInstances;
import io.presync.uring.Ring;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The job's set-up, whose log, tap, ring and buffers open on a thread of their own ({@link ParallelSetup}) while the
 * job's thread checks the devices, plans and reserves: the tap is running at T0 all the same, and a set-up that fails
 * on either thread leaves no trace instance behind and no device held.
 */
class ReplicationJobSetupTest
{
    private static final long MIB = 1L << 20;
    private static final long MASTER_BYTES = 64 * MIB;

    @RegisterExtension
    final LoopDevices loops = new LoopDevices();

    @BeforeEach
    void needsUring()
    {
        Assumptions.assumeTrue(Ring.unavailableReason() == null, "io_uring unavailable: " + Ring.unavailableReason());
    }

    private LoopDevices.Loop master() throws IOException
    {
        final LoopDevices.Loop master = loops.create(MASTER_BYTES);
        for (final long at : new long[] {0, 9 * MIB, 30 * MIB, 60 * MIB})
        {
            ReplicaFixtures.writeRandom(master.device(), at, 4 * MIB, at);
        }
        return master;
    }

    private LoopDevices.Loop pool() throws IOException
    {
        final LoopDevices.Loop pool = loops.create(256 * MIB);
        Pool.create(pool.device(), Pool.CreateOptions.defaults()).close();
        return pool;
    }

    private ReplicationJob.Options options(final LoopDevices.Loop master, final LoopDevices.Loop pool) throws IOException
    {
        return ReplicaFixtures.jobOptions(master, pool, "m", Files.createTempDirectory(loops.folder(), "log-"));
    }

    /** Neither the job nor its set-up thread holds a device any more: both open exclusively. */
    private static void assertNotHeld(final Path... devices) throws IOException
    {
        for (final Path device : devices)
        {
            BlockDevice.open(device, OpenOptions.forWriting()).close();
        }
    }

    /** A failed start left no trace instance, holds neither device and allocated no partition in the (empty) pool. */
    private static void assertNothingLeftAndNothingAllocated(final LoopDevices.Loop master, final LoopDevices.Loop pool)
        throws IOException
    {
        TraceInstances.assertNoneOfThisProcess();
        assertNotHeld(master.device(), pool.device());
        try (Pool opened = Pool.openReadOnly(pool.device()))
        {
            assertEquals(0, opened.partitions().size(), "nothing was allocated");
        }
    }

    /**
     * Writes made right after T0 (the map's snapshot), one into a hole of the snapshot, which no bulk read covers,
     * and one over its data: the tap, opened on the set-up thread, was already running, so both reach the partition.
     */
    @Test
    void writesRightAfterT0ReachThePartition() throws Exception
    {
        final LoopDevices.Loop master = master();
        final LoopDevices.Loop pool = pool();
        final AtomicReference<Exception> failure = new AtomicReference<>();
        ReplicationJob.phaseHook = phase ->
        {
            if (phase.equals("plan"))
            {
                try
                {
                    ReplicaFixtures.writeRandom(master.device(), 20 * MIB, 256 * 1024, 11);
                    ReplicaFixtures.writeRandom(master.device(), 9 * MIB + 512 * 1024, 256 * 1024, 12);
                }
                catch (final IOException ex)
                {
                    failure.set(ex);
                }
            }
        };
        final ReplicationJob.Report report;
        try (ReplicationJob job = ReplicationJob.start(options(master, pool)))
        {
            ReplicationJob.phaseHook = null;
            report = job.run(true, null);
        }
        finally
        {
            ReplicationJob.phaseHook = null;
        }
        assertEquals(null, failure.get());
        assertEquals("ok", report.verify(), report.toString());
        assertTrue(report.streamedBytes() >= 256 * 1024, "the write into the hole was streamed: " + report);
        assertEquals(16 * MIB, report.copiedBytes());
        TraceInstances.assertNoneOfThisProcess();
        ReplicaFixtures.assertExportEqualsMaster(master, pool.device(), "m", loops.folder().resolve("export.img"));
    }

    /** The allocation is refused after the tap and the ring were opened: the refusal, and nothing left open. */
    @Test
    void aRefusedAllocationLeavesNoTraceInstanceAndNoDeviceHeld() throws Exception
    {
        final LoopDevices.Loop master = master();
        final LoopDevices.Loop pool = pool();
        try (Pool opened = Pool.open(pool.device()))
        {
            // Leaves about 8 MiB free: less than the 16 MiB of master data.
            final long free = opened.info().freeBytes();
            opened.allocate("other", MasterIdentity.of("other", MASTER_BYTES), free - free / 50 - 8 * MIB);
            assertTrue(opened.info().freeBytes() < 16 * MIB, opened.info().toString());
        }
        final RefusedException refused = assertThrows(RefusedException.class, () -> ReplicationJob.start(options(master, pool)).close());
        assertTrue(refused.getMessage().contains("free but 'm' needs"), refused.getMessage());
        TraceInstances.assertNoneOfThisProcess();
        assertNotHeld(master.device(), pool.device());
    }

    /** The master is refused by the job's thread while the set-up thread opens a tap of it: the tap is closed again. */
    @Test
    void aRefusedMasterLeavesNoTraceInstance() throws Exception
    {
        final LoopDevices.Loop tiny = loops.create(512 * 1024);
        final LoopDevices.Loop pool = pool();
        final RefusedException refused = assertThrows(RefusedException.class, () -> ReplicationJob.start(options(tiny, pool)).close());
        assertTrue(refused.getMessage().contains("at least 1 MiB"), refused.getMessage());
        TraceInstances.assertNoneOfThisProcess();
        assertNotHeld(tiny.device(), pool.device());
    }

    /**
     * The set-up thread fails first (the log directory is a file): its refusal reaches the caller, and the devices the
     * job's thread had opened meanwhile are closed.
     */
    @Test
    void aFailureOnTheSetUpThreadIsThrownAndTheDevicesAreClosed() throws Exception
    {
        final LoopDevices.Loop master = master();
        final LoopDevices.Loop pool = pool();
        final ReplicationJob.Options options = options(master, pool);
        options.logDirectory = Files.writeString(loops.folder().resolve("not-a-directory"), "x");
        final RefusedException refused = assertThrows(RefusedException.class, () -> ReplicationJob.start(options).close());
        assertTrue(refused.getMessage().contains("is a file, not a write-log directory"), refused.getMessage());
        assertNothingLeftAndNothingAllocated(master, pool);
    }

    /**
     * The tap fails after the log opened and the job's thread read the history from it (the kernel refuses a trace
     * buffer far larger than memory): the failure reaches the caller, the log and the trace instance are closed, and
     * the devices are free.
     */
    @Test
    void aTapFailureAfterTheLogOpenedLeavesNothingOpen() throws Exception
    {
        final LoopDevices.Loop master = master();
        final LoopDevices.Loop pool = pool();
        final ReplicationJob.Options options = options(master, pool);
        options.tapBufferKb = Integer.MAX_VALUE;
        final IOException failed = assertThrows(IOException.class, () -> ReplicationJob.start(options).close());
        assertTrue(failed.getMessage().contains("buffer_size_kb"), failed.toString());
        assertNothingLeftAndNothingAllocated(master, pool);
        // The log was opened (and closed again): a second job with a sane buffer starts on it.
        options.tapBufferKb = 1024;
        try (ReplicationJob job = ReplicationJob.start(options))
        {
            assertTrue(job.plan().partitionBytes() > 0);
        }
        TraceInstances.assertNoneOfThisProcess();
    }
}
