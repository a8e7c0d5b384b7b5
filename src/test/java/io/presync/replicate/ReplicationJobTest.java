package io.presync.replicate;

import io.presync.cli.Main;
import io.presync.device.BlockDevice;
import io.presync.device.LoopDevices;
import io.presync.device.OpenOptions;
import io.presync.pool.Pool;
import io.presync.uring.Ring;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The replication job on loop devices: equality under a concurrent writer, tap loss, resume, refusals. */
class ReplicationJobTest
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

    private ReplicationJob.Options options(final LoopDevices.Loop master, final LoopDevices.Loop pool) throws IOException
    {
        final ReplicationJob.Options o = ReplicaFixtures.jobOptions(master, pool, "m", Files.createTempDirectory(loops.folder(), "log-"));
        o.commitIntervalNanos = TimeUnit.MILLISECONDS.toNanos(50);
        return o;
    }

    private LoopDevices.Loop master() throws IOException
    {
        final LoopDevices.Loop master = loops.create(MASTER_BYTES);
        final Random random = new Random(1);
        try (BlockDevice dev = BlockDevice.open(master.device(), OpenOptions.forWriting()); Arena arena = Arena.ofConfined())
        {
            final MemorySegment buffer = BlockDevice.allocateAligned(arena, 4 * MIB, 4096);
            for (final long at : new long[] {0, 9 * MIB, 30 * MIB, 60 * MIB})
            {
                ReplicaFixtures.fillRandom(buffer, random);
                dev.write(buffer, at);
            }
        }
        return master;
    }

    private LoopDevices.Loop pool() throws IOException
    {
        final LoopDevices.Loop pool = loops.create(256 * MIB);
        Pool.create(pool.device(), Pool.CreateOptions.defaults()).close();
        return pool;
    }

    /** Random 4-64 KiB writes over the master until stopped, about one per ms. */
    private static Thread writer(final Path device, final AtomicBoolean stop, final long seed)
    {
        return ReplicaFixtures.startRandomWriter(device, MASTER_BYTES, stop, seed, 1);
    }

    private static void writeUntapped(final Path device, final long at, final long seed) throws IOException
    {
        try (BlockDevice dev = BlockDevice.open(device, OpenOptions.forWriting()); Arena arena = Arena.ofConfined())
        {
            final MemorySegment buffer = BlockDevice.allocateAligned(arena, 256 * 1024, 4096);
            ReplicaFixtures.fillRandom(buffer, new Random(seed));
            dev.write(buffer, at);
        }
    }

    private void assertExportEqualsMaster(final LoopDevices.Loop master, final LoopDevices.Loop pool) throws IOException
    {
        final Path image = loops.folder().resolve("export-" + System.nanoTime() + ".img");
        try (Pool opened = Pool.openReadOnly(pool.device()))
        {
            opened.export("m", image, false);
        }
        final byte[] expected = Files.readAllBytes(master.backingFile());
        final byte[] actual = Files.readAllBytes(image);
        assertEquals(expected.length, actual.length);
        if (!Arrays.equals(expected, actual))
        {
            assertEquals(-1, Arrays.mismatch(expected, actual), "first differing byte");
        }
        Files.delete(image);
    }

    @Test
    void replicaEqualsTheMasterAfterAConcurrentWriterStops() throws Exception
    {
        final LoopDevices.Loop master = master();
        final LoopDevices.Loop pool = pool();
        final AtomicBoolean stop = new AtomicBoolean();
        final ReplicationJob.Report report;
        try (ReplicationJob job = ReplicationJob.start(options(master, pool)))
        {
            final Thread writer = writer(master.device(), stop, 2);
            job.run(true, null);
            Thread.sleep(300);
            stop.set(true);
            writer.join();
            Thread.sleep(50);
            report = job.run(true, null);
            assertEquals("ok", job.report(true).verify());
        }
        assertEquals(16 * MIB, report.copiedBytes());
        assertTrue(report.streamedBytes() > 0, report.toString());
        assertTrue(report.consistentAtSeq() > 0);
        assertTrue(report.lagMillisP99() > 0);
        assertExportEqualsMaster(master, pool);
    }

    /** A tap without flush barriers (a kernel without trace_marker_raw): a warning, and the poll alone decides. */
    @Test
    void withoutTapFlushBarriersTheJobFallsBackToThePollAndStillConverges() throws Exception
    {
        final LoopDevices.Loop master = master();
        final LoopDevices.Loop pool = pool();
        final ReplicationJob.Options options = options(master, pool);
        options.noTapFlushBarriers = true;
        final AtomicBoolean stop = new AtomicBoolean();
        try (ReplicationJob job = ReplicationJob.start(options))
        {
            final Thread writer = writer(master.device(), stop, 4);
            final ReplicationJob.Report underLoad = job.run(true, TimeUnit.SECONDS.toNanos(60), null);
            stop.set(true);
            writer.join();
            assertTrue(underLoad.consistentReached(), underLoad.toString());
            // Without a barrier only time lets the last writes out of the tap's reorder window.
            Thread.sleep(50);
            job.run(true, null);
            assertEquals("ok", job.report(true).verify());
        }
        assertExportEqualsMaster(master, pool);
    }

    @Test
    void writesIntoChunksTheBulkPassHasStillToReadAreLeftToIt() throws Exception
    {
        // The bulk pass at 8 MiB/s reaches [12, 13) MiB after about 1 s and [60, 64) MiB after about 2 s;
        // the writes land right after the start, so those parts wait for it (streamed with --stream eager).
        for (final boolean eager : new boolean[] {false, true})
        {
            final LoopDevices.Loop master = master();
            final LoopDevices.Loop pool = pool();
            final ReplicationJob.Options options = options(master, pool);
            options.lbaOrder = true;
            options.bulkLimitBytesPerSecond = 8 * MIB;
            options.eagerStreaming = eager;
            final ReplicationJob.Report report;
            try (ReplicationJob job = ReplicationJob.start(options))
            {
                // Outside the snapshot's data: no bulk read comes, so it is streamed either way.
                ReplicaFixtures.writeRandom(master.device(), 20 * MIB, 256 * 1024, 11);
                // Half in the chunk [12, 13) MiB, half in the gap after the extent [9, 13) MiB.
                ReplicaFixtures.writeRandom(master.device(), 13 * MIB - 128 * 1024, 256 * 1024, 12);
                // Inside a chunk the bulk pass copies last.
                ReplicaFixtures.writeRandom(master.device(), 61 * MIB + 8192, 256 * 1024, 13);
                report = job.run(true, null);
                assertEquals("ok", job.report(true).verify());
            }
            assertEquals(16 * MIB, report.copiedBytes(), report.toString());
            assertEquals(eager ? 768 * 1024 : 384 * 1024, report.streamedBytes(), "eager " + eager + ": " + report);
            assertExportEqualsMaster(master, pool);
            loops.detach(master);
            loops.detach(pool);
        }
    }

    @Test
    void lostTapEventsFallBackToChecksumsAndStillConverge() throws Exception
    {
        final LoopDevices.Loop master = master();
        final LoopDevices.Loop pool = pool();
        final AtomicBoolean stop = new AtomicBoolean();
        final ReplicationJob.Report report;
        try (ReplicationJob job = ReplicationJob.start(options(master, pool)))
        {
            final Thread writer = writer(master.device(), stop, 3);
            for (int i = 0; i < 20; i++)
            {
                job.doWork();
            }
            job.injectLost();
            job.run(true, null);
            stop.set(true);
            writer.join();
            Thread.sleep(50);
            report = job.run(true, null);
            assertEquals("ok", job.report(true).verify());
        }
        assertEquals(1, report.lostReports());
        assertTrue(report.verifiedBytes() >= MASTER_BYTES, report.toString());
        assertExportEqualsMaster(master, pool);
    }

    /**
     * A lone write completing just before run(true) on an otherwise quiet master: without the tap's flush
     * barrier it sat in the tap's reorder window (or a partly filled kernel page) while the job declared
     * the consistent point, and the verify then saw it as a mismatch or a write during the comparison.
     */
    @Test
    void aWriteCompletedJustBeforeRunUntilSyncedIsInItsConsistentPoint() throws Exception
    {
        final LoopDevices.Loop master = master();
        final LoopDevices.Loop pool = pool();
        final Random random = new Random(7);
        try (ReplicationJob job = ReplicationJob.start(options(master, pool));
             BlockDevice dev = BlockDevice.open(master.device(), OpenOptions.forWriting().withExclusive(false));
             Arena arena = Arena.ofConfined())
        {
            assertEquals("ok", job.run(true, null).verify());
            final MemorySegment block = BlockDevice.allocateAligned(arena, 4096, 4096);
            for (int round = 0; round < 10; round++)
            {
                ReplicaFixtures.fillRandom(block, random);
                final long at = 4096L * random.nextInt((int)(MASTER_BYTES / 4096));
                dev.write(block, at);
                dev.flush();
                final ReplicationJob.Report report = job.run(true, null);
                assertTrue(report.consistentReached(), report.toString());
                assertEquals("ok", report.verify(), "round " + round + ": the write at " + at + " completed before run(true)");
            }
        }
        assertExportEqualsMaster(master, pool);
    }

    @Test
    void finalVerifyRepairsASlaveBlockCorruptedUnderneath() throws Exception
    {
        final LoopDevices.Loop master = master();
        final LoopDevices.Loop pool = pool();
        final long logical = 9 * MIB + 4096;
        try (ReplicationJob job = ReplicationJob.start(options(master, pool)))
        {
            assertEquals("ok", job.run(true, null).verify());
            final long recopiedBefore = job.report(false).recopiedBytes();
            final long deviceOffset;
            try (Pool view = Pool.openReadOnly(pool.device()); var partition = view.viewPartition("m"))
            {
                deviceOffset = partition.deviceOffsetOf(logical);
            }
            assertTrue(deviceOffset >= 0);
            // Bit rot on the slave, written underneath Presync: only the final verification can see it.
            try (var device = new java.io.RandomAccessFile(pool.device().toFile(), "rw"))
            {
                device.seek(deviceOffset + 100);
                device.write(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
                device.getFD().sync();
            }
            final ReplicationJob.Report report = job.report(true);
            assertEquals("ok after repairing 1 ranges (4096 bytes)", report.verify());
            assertEquals(4096, report.recopiedBytes() - recopiedBefore);
        }
        assertExportEqualsMaster(master, pool);
    }

    @Test
    void resumeComparesChecksumsAndCopiesOnlyWhatIsMissing() throws Exception
    {
        final LoopDevices.Loop master = master();
        final LoopDevices.Loop pool = pool();
        final ReplicationJob.Options options = options(master, pool);
        try (ReplicationJob job = ReplicationJob.start(options))
        {
            job.run(true, null);
        }
        // Written while no job taps the master: only the checksum comparison can find it.
        writeUntapped(master.device(), 9 * MIB + 64 * 1024, 5);
        writeUntapped(master.device(), 40 * MIB, 6);
        final ReplicationJob.Report report;
        try (ReplicationJob job = ReplicationJob.start(options))
        {
            assertTrue(job.resumed());
            report = job.run(true, null);
            assertEquals("ok", job.report(true).verify());
        }
        assertEquals(256 * 1024, report.copiedBytes(), report.toString());
        assertEquals(256 * 1024, report.recopiedBytes(), report.toString());
        assertEquals(16 * MIB, report.verifiedBytes());
        assertExportEqualsMaster(master, pool);
    }

    /**
     * A 4 KiB block holding, like block 0 of ext4 with metadata_csum, a 1 KiB structure at 1 KiB whose last
     * 4 bytes are the CRC32C of the rest (the kernel's raw register: no final inversion). The block's
     * CRC32C is then the same for every payload, so a CRC comparison alone cannot see it change.
     */
    private static void writeSelfChecksummedBlock(final Path device, final long at, final long seed) throws IOException
    {
        try (BlockDevice dev = BlockDevice.open(device, OpenOptions.forWriting()); Arena arena = Arena.ofConfined())
        {
            dev.write(selfChecksummedBlock(arena, seed), at);
        }
    }

    private static MemorySegment selfChecksummedBlock(final Arena arena, final long seed)
    {
        final MemorySegment block = BlockDevice.allocateAligned(arena, 4096, 4096);
        block.fill((byte)0);
        final byte[] payload = new byte[1020];
        new Random(seed).nextBytes(payload);
        MemorySegment.copy(payload, 0, block, ValueLayout.JAVA_BYTE, 1024, payload.length);
        final CRC32C crc = new CRC32C();
        crc.update(payload);
        block.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 1024 + 1020, ~(int)crc.getValue());
        return block;
    }

    private static int crc32c(final MemorySegment block)
    {
        final CRC32C crc = new CRC32C();
        crc.update(block.asByteBuffer());
        return (int)crc.getValue();
    }

    @Test
    void resumeRecopiesABlockWhoseBytesChangedButNotItsCrc32c() throws Exception
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment first = selfChecksummedBlock(arena, 7);
            final MemorySegment second = selfChecksummedBlock(arena, 8);
            assertTrue(first.mismatch(second) >= 0, "the two versions differ");
            assertEquals(crc32c(first), crc32c(second), "the precondition: their CRC32C collides");
        }
        final LoopDevices.Loop master = master();
        final LoopDevices.Loop pool = pool();
        writeSelfChecksummedBlock(master.device(), 0, 7);
        final ReplicationJob.Options options = options(master, pool);
        try (ReplicationJob job = ReplicationJob.start(options))
        {
            job.run(true, null);
        }
        // Rewritten while no job taps the master, as ext4 rewrites its superblock at unmount.
        writeSelfChecksummedBlock(master.device(), 0, 8);
        final ReplicationJob.Report report;
        try (ReplicationJob job = ReplicationJob.start(options))
        {
            assertTrue(job.resumed());
            report = job.run(true, null);
            assertEquals("ok", job.report(true).verify());
        }
        assertEquals(4096, report.recopiedBytes(), report.toString());
        assertExportEqualsMaster(master, pool);
    }

    /** The defect as the demo met it: ext4 (metadata_csum) rewrites its superblock at unmount, after the job stopped. */
    @Test
    void resumeAfterUnmountCopiesTheRewrittenExt4Superblock() throws Exception
    {
        final LoopDevices.Loop master = loops.create(MASTER_BYTES);
        final LoopDevices.Loop pool = pool();
        LoopDevices.run("mkfs.ext4", "-q", "-F", "-b", "4096", "-O", "metadata_csum", "-E", "lazy_itable_init=0,lazy_journal_init=0", master.path());
        final Path mountPoint = Files.createTempDirectory(loops.folder(), "mnt-");
        final ReplicationJob.Options options = options(master, pool);
        boolean mounted = false;
        try
        {
            LoopDevices.run("mount", master.path(), mountPoint.toString());
            mounted = true;
            Files.write(mountPoint.resolve("a"), new byte[(int)(2 * MIB)]);
            LoopDevices.run("sync");
            try (ReplicationJob job = ReplicationJob.start(options))
            {
                job.run(true, null);
            }
            final byte[] data = new byte[(int)MIB];
            new Random(9).nextBytes(data);
            Files.write(mountPoint.resolve("b"), data);
            LoopDevices.run("sync");
            LoopDevices.run("umount", mountPoint.toString());
            mounted = false;
        }
        finally
        {
            if (mounted)
            {
                LoopDevices.run("umount", mountPoint.toString());
            }
        }
        try (ReplicationJob job = ReplicationJob.start(options))
        {
            assertTrue(job.resumed());
            job.run(true, null);
            assertEquals("ok", job.report(true).verify());
        }
        assertExportEqualsMaster(master, pool);
    }

    @Test
    void growthBeyondThePlanExtendsThePartition() throws Exception
    {
        final LoopDevices.Loop master = master();
        final LoopDevices.Loop pool = pool();
        final ReplicationJob.Options options = options(master, pool);
        options.maxPartitionBytes = 4 * MIB;
        final ReplicationJob.Report report;
        try (ReplicationJob job = ReplicationJob.start(options))
        {
            assertEquals(4 * MIB, job.plan().partitionBytes());
            // The terminal's progress line: no rate yet, so no time left to claim; once through, none left.
            assertTrue(job.progressLine().startsWith("copied 0/16 MiB  0 MiB/s  ETA --  dirty 0 KiB"), job.progressLine());
            final StringWriter shown = new StringWriter();
            report = job.run(true, new PrintWriter(shown));
            assertTrue(job.progressLine().startsWith("copied 16/16 MiB  ") && job.progressLine().contains("  ETA 0 s  "),
                job.progressLine());
            // What a terminal shows: the run's last progress line where it ended, then the final verify's, to its end.
            assertTrue(shown.toString().contains("\rcopied 16/16 MiB  "), shown.toString());
            assertTrue(shown.toString().matches("(?s).*\rfinal verify: 64/64 MiB  \\d+ MiB/s   \n"), shown.toString());
            assertEquals("ok", job.report(true).verify());
        }
        assertTrue(report.extensions() > 0, report.toString());
        assertEquals(16 * MIB, report.usedBytes());
        assertExportEqualsMaster(master, pool);
    }

    @Test
    void planPrintsEveryInputAndTheConservativeRule() throws Exception
    {
        final LoopDevices.Loop master = master();
        final LoopDevices.Loop pool = pool();
        final StringWriter out = new StringWriter();
        final int code = Main.execute(new String[] {"plan", "--master", master.path(), "--pool", pool.path(), "--json"},
            new PrintWriter(out), new PrintWriter(new StringWriter()));
        assertEquals(0, code, out.toString());
        assertTrue(out.toString().contains("\"baseBytes\": " + 16 * MIB), out.toString());
        assertTrue(out.toString().contains("little history"), out.toString());
    }

    private static int run(final StringWriter err, final String... args)
    {
        return Main.execute(args, new PrintWriter(new StringWriter()), new PrintWriter(err));
    }

    @Test
    void refusals() throws Exception
    {
        final LoopDevices.Loop master = master();
        final LoopDevices.Loop pool = pool();
        final LoopDevices.Loop notPool = loops.create(64 * MIB);
        final LoopDevices.Loop tiny = loops.create(512 * 1024);
        final Path log = Files.createTempDirectory(loops.folder(), "log-");
        StringWriter err = new StringWriter();
        assertEquals(2, run(err, "replicate", "--master", master.path(), "--pool", master.path(), "--log", log.toString()));
        assertTrue(err.toString().contains("shares storage"), err.toString());
        err = new StringWriter();
        assertEquals(2, run(err, "replicate", "--master", master.path(), "--pool", notPool.path(), "--log", log.toString()));
        assertTrue(err.toString().contains("pool create"), err.toString());
        err = new StringWriter();
        assertEquals(2, run(err, "replicate", "--master", tiny.path(), "--pool", pool.path(), "--log", log.toString()));
        assertTrue(err.toString().contains("at least 1 MiB"), err.toString());
        err = new StringWriter();
        assertEquals(2, run(err, "replicate", "--master", master.backingFile().toString(), "--pool", pool.path(), "--log", log.toString()));
        assertTrue(err.toString().contains("not a block device"), err.toString());
        // A foreign signature: an ext4 filesystem on the would-be pool.
        LoopDevices.run("mkfs.ext4", "-q", "-F", notPool.path());
        err = new StringWriter();
        assertEquals(2, run(err, "replicate", "--master", master.path(), "--pool", notPool.path(), "--log", log.toString()));
        assertTrue(err.toString().contains("not a Presync pool"), err.toString());
        assertFalse(err.toString().contains("Exception"), err.toString());
        // A mounted pool device: refused before anything is read or written.
        final Path mountPoint = Files.createTempDirectory(loops.folder(), "mnt-");
        LoopDevices.run("mount", notPool.path(), mountPoint.toString());
        try
        {
            err = new StringWriter();
            assertEquals(2, run(err, "replicate", "--master", master.path(), "--pool", notPool.path(), "--log", log.toString()));
            // Mounted means it carries a filesystem: named as such, with the fix.
            assertTrue(err.toString().contains("mounted") || err.toString().contains("ext4 filesystem, not a Presync pool"), err.toString());
            assertFalse(err.toString().contains("Exception"), err.toString());
            assertEquals(1, err.toString().strip().lines().count(), err.toString());
        }
        finally
        {
            LoopDevices.run("umount", mountPoint.toString());
        }
    }

    private static boolean onPath(final String command)
    {
        for (final String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":"))
        {
            if (Files.isExecutable(Path.of(dir, command)))
            {
                return true;
            }
        }
        return false;
    }

    /** A series CSV of {@code n} 10-second buckets of about {@code meanBytes} new bytes each. */
    private Path series(final int n, final double meanBytes) throws IOException
    {
        final Path file = loops.folder().resolve("series-" + System.nanoTime() + ".csv");
        final Random random = new Random(3);
        final StringBuilder csv = new StringBuilder("ts_us,new_bytes\n");
        for (int i = 0; i < n; i++)
        {
            csv.append(i * 10_000_000L).append(',').append((long)(meanBytes * (1 + 0.1 * random.nextGaussian()))).append('\n');
        }
        Files.writeString(file, csv);
        return file;
    }

    @Test
    void aQuiescedMasterWithoutHistoryIsNeverExtended() throws Exception
    {
        final LoopDevices.Loop master = master();
        final LoopDevices.Loop pool = pool();
        final ReplicationJob.Options options = options(master, pool);
        // No history: the conservative buffer, which does not depend on the horizon. A slow copy (2 s) lets
        // the twice-a-second horizon refinement run; it must neither move the horizon nor extend.
        options.bulkLimitBytesPerSecond = 8 * MIB;
        final ReplicationJob.Report report;
        try (ReplicationJob job = ReplicationJob.start(options))
        {
            assertFalse(job.plan().fitted(), job.plan().toString());
            report = job.run(true, null);
            assertEquals("ok", job.report(true).verify());
        }
        assertEquals(0, report.extensions(), report.toString());
        assertTrue(report.extensionReasons().isEmpty(), report.extensionReasons().toString());
        assertTrue(report.measuredCopyBytesPerSecond() < 16 * MIB, report.toString());
        assertExportEqualsMaster(master, pool);
    }

    @Test
    void aCopySlowerThanProbedRefinesTheHorizonAndExtendsAheadOfNeed() throws Exception
    {
        final LoopDevices.Loop master = master();
        final LoopDevices.Loop pool = pool();
        final ReplicationJob.Options options = options(master, pool);
        // The probe promises 1 TB/s, so the plan's horizon is microseconds; the copy runs at 8 MiB/s.
        options.assumedRateBytesPerSecond = 1e12;
        options.bulkLimitBytesPerSecond = 8 * MIB;
        options.history = series(48, 30 * MIB);
        final ReplicationJob.Report report;
        try (ReplicationJob job = ReplicationJob.start(options))
        {
            assertTrue(job.plan().fitted(), job.plan().toString());
            assertTrue(job.plan().horizonSeconds() < 0.01, job.plan().toString());
            report = job.run(true, null);
            assertEquals("ok", job.report(true).verify());
        }
        assertTrue(report.extensions() >= 1, report.toString());
        assertTrue(report.extensionReasons().get(0).startsWith("ahead of need"), report.extensionReasons().toString());
        assertTrue(report.horizonSeconds() > 1, report.toString());
        assertTrue(report.measuredCopyBytesPerSecond() < 16 * MIB, report.toString());
        assertEquals(16 * MIB, report.usedBytes());
        assertEquals(1, History.readRuns(options.logDir()).length);
        assertExportEqualsMaster(master, pool);
    }

    @Test
    void syncTimeoutEndsTheRunWithTheStateKeptAndTheRerunConverges() throws Exception
    {
        final LoopDevices.Loop master = master();
        final LoopDevices.Loop pool = pool();
        final ReplicationJob.Options options = options(master, pool);
        options.bulkLimitBytesPerSecond = 2 * MIB;
        try (ReplicationJob job = ReplicationJob.start(options))
        {
            final ReplicationJob.Report late = job.run(true, TimeUnit.MILLISECONDS.toNanos(500), null);
            assertTrue(late.timedOut(), late.toString());
            assertFalse(late.consistentReached(), late.toString());
            assertEquals("not run", late.verify());
        }
        options.bulkLimitBytesPerSecond = 0;
        final ReplicationJob.Report report;
        try (ReplicationJob job = ReplicationJob.start(options))
        {
            assertTrue(job.resumed());
            report = job.run(true, TimeUnit.SECONDS.toNanos(60), null);
            assertEquals("ok", job.report(true).verify());
        }
        assertFalse(report.timedOut());
        assertTrue(report.consistentReached(), report.toString());
        assertEquals(2, History.readRuns(options.logDir()).length);
        assertExportEqualsMaster(master, pool);

        // The command line: exit code 3 and one sentence saying what to do.
        final StringWriter err = new StringWriter();
        final int code = Main.execute(new String[] {"replicate", "--master", master.path(), "--pool", pool.path(), "--partition", "m",
            "--log", options.logDir().toString(), "--until-synced", "--sync-timeout", "1ms"}, new PrintWriter(new StringWriter()),
            new PrintWriter(err));
        assertEquals(3, code, err.toString());
        assertTrue(err.toString().contains("not synced within") && err.toString().contains("run the same command again"), err.toString());
        final StringWriter refused = new StringWriter();
        assertEquals(2, Main.execute(new String[] {"replicate", "--master", master.path(), "--pool", pool.path(), "--partition", "m",
            "--log", options.logDir().toString(), "--sync-timeout", "10s"}, new PrintWriter(new StringWriter()), new PrintWriter(refused)));
        assertTrue(refused.toString().contains("add --until-synced"), refused.toString());
    }

    @Test
    void theWriteLogOfEarlierRunsBecomesHistory() throws Exception
    {
        final Path log = Files.createTempDirectory(loops.folder(), "log-");
        final long t0 = 1_700_000_000_000_000_000L;
        final long second = 1_000_000_000L;
        // Two tapping spans, 35 s and 25 s, 65 s apart; 1 MiB of first writes each second, plus rewrites.
        try (io.presync.stream.WriteLog writer = io.presync.stream.WriteLog.open(log, new io.presync.stream.WriteLog.Options()))
        {
            long seq = 1;
            long fresh = 0;
            for (final long[] span : new long[][] {{0, 35}, {100, 125}})
            {
                for (long s = span[0]; s < span[1]; s++)
                {
                    writer.append(seq++, t0 + s * second + second / 2, io.presync.stream.WriteOp.WRITE, fresh, MIB, 0);
                    writer.append(seq++, t0 + s * second + second / 2 + 1, io.presync.stream.WriteOp.WRITE, 0, MIB, 0);
                    fresh += MIB;
                }
                History.recordRun(log, t0 + span[0] * second, t0 + span[1] * second, true);
            }
        }
        final History fromLog = History.fromLog(log, 10);
        // Whole 10 s buckets inside the spans only: 3 of the first, 2 of the second; the gap is not a quiet interval.
        assertEquals(5, fromLog.logBuckets(), fromLog.toString());
        assertEquals(0, fromLog.fileBuckets());
        // Partial buckets count for the observed rate: 60 MiB of first writes in 60 s of tapping.
        assertEquals(MIB, fromLog.observedBytesPerSecond(), 0.01 * MIB, fromLog.toString());
        for (final double y : fromLog.newBytes())
        {
            assertEquals(10 * MIB, y, 1.0, Arrays.toString(fromLog.newBytes()));
        }

        // A plan reads both the file and the log, the log's buckets after the file's.
        final LoopDevices.Loop master = master();
        final LoopDevices.Loop pool = pool();
        final ReplicationJob.Options options = options(master, pool);
        options.logDirectory = log;
        options.history = series(12, 5 * MIB);
        final Plan plan = ReplicationJob.plan(options);
        assertEquals(12, plan.fileBuckets(), plan.toString());
        assertEquals(5, plan.logBuckets(), plan.toString());
        assertEquals(17, plan.historyBuckets(), plan.toString());
        final StringWriter out = new StringWriter();
        assertEquals(0, Main.execute(new String[] {"plan", "--master", master.path(), "--pool", pool.path(), "--log", log.toString()},
            new PrintWriter(out), new PrintWriter(new StringWriter())), out.toString());
        assertTrue(out.toString().contains("5 whole buckets"), out.toString());
        assertTrue(out.toString().matches("(?s).*probes: master read [0-9.]+ [KMG]?i?B/s, pool write [0-9.]+ [KMG]?i?B/s.*"), out.toString());
        // --bulk-limit caps the copy rate the plan uses, and says so.
        final StringWriter limited = new StringWriter();
        assertEquals(0, Main.execute(new String[] {"plan", "--master", master.path(), "--pool", pool.path(), "--log", log.toString(),
            "--bulk-limit", "1M", "--json"}, new PrintWriter(limited), new PrintWriter(new StringWriter())), limited.toString());
        assertTrue(limited.toString().contains("\"rateBytesPerSecond\": " + MIB + ","), limited.toString());
        assertTrue(limited.toString().contains("capped by the bulk limit"), limited.toString());
        // The write probe went into the pool's free units and gave them back: they read as zeros, the pool is intact.
        try (Pool opened = Pool.openReadOnly(pool.device()))
        {
            assertTrue(opened.partitions().isEmpty());
            final long[] range = RateProbe.freeRange(opened);
            final byte[] probed = new byte[(int)range[1]];
            try (var file = java.nio.channels.FileChannel.open(pool.backingFile()))
            {
                file.read(java.nio.ByteBuffer.wrap(probed), range[0]);
            }
            assertEquals(-1, Arrays.mismatch(probed, new byte[probed.length]));
        }
    }

    @Test
    void aRealTapOverrunIsDetectedAndTheChecksumFallbackConverges() throws Exception
    {
        Assumptions.assumeTrue(onPath("fio"), "fio is not installed");
        final LoopDevices.Loop master = master();
        final LoopDevices.Loop pool = pool();
        final ReplicationJob.Options options = options(master, pool);
        // One page per CPU: a burst overruns it while the job does not poll.
        options.tapBufferKb = 4;
        final ReplicationJob.Report report;
        try (ReplicationJob job = ReplicationJob.start(options))
        {
            for (int i = 0; i < 5; i++)
            {
                job.doWork();
            }
            LoopDevices.run("fio", "--name=burst", "--filename=" + master.path(), "--rw=randwrite", "--bs=4k", "--direct=1",
                "--ioengine=libaio", "--iodepth=32", "--size=" + MASTER_BYTES, "--io_size=256m", "--randrepeat=0",
                "--output=/dev/null");
            report = job.run(true, null);
            assertEquals("ok", job.report(true).verify());
        }
        assertTrue(report.lostReports() >= 1, report.toString());
        assertTrue(report.verifiedBytes() >= MASTER_BYTES, report.toString());
        assertExportEqualsMaster(master, pool);
    }

    @Test
    void aMountedExt4MasterUnderAFileWriterReplicatesAndEqualsItAfterUnmount() throws Exception
    {
        final LoopDevices.Loop master = loops.create(2 * MASTER_BYTES);
        final LoopDevices.Loop pool = pool();
        LoopDevices.run("mkfs.ext4", "-q", "-F", "-b", "4096", "-E", "lazy_itable_init=0,lazy_journal_init=0", master.path());
        final Path mountPoint = Files.createTempDirectory(loops.folder(), "mnt-");
        final AtomicBoolean stop = new AtomicBoolean();
        boolean mounted = false;
        final ReplicationJob.Report report;
        try (ReplicationJob job = ReplicationJob.start(options(master, pool)))
        {
            LoopDevices.run("mount", master.path(), mountPoint.toString());
            mounted = true;
            final Thread writer = fileWriter(mountPoint, stop);
            Thread.sleep(200);
            final ReplicationJob.Report underLoad = job.run(true, null);
            assertTrue(underLoad.consistentReached(), underLoad.toString());
            for (final long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500); System.nanoTime() < end; )
            {
                job.doWork();
                Thread.sleep(1);
            }
            stop.set(true);
            writer.join();
            LoopDevices.run("umount", mountPoint.toString());
            mounted = false;
            // The unmount's own writes (superblock, journal) are tapped like any other.
            report = job.run(true, null);
            // Strict: a consistent point waits for the tap's flush barrier, so the unmount's last write is
            // applied before it, and the final verify has nothing to repair.
            assertEquals("ok", job.report(true).verify());
        }
        finally
        {
            stop.set(true);
            if (mounted)
            {
                LoopDevices.run("umount", mountPoint.toString());
            }
        }
        assertTrue(report.tapEvents() > 0 && report.streamedBytes() > 0, report.toString());
        assertExportEqualsMaster(master, pool);
    }

    /** The long variant (-Dpresync.long=true): fio on the mounted filesystem for 20 s, the job streaming throughout. */
    @Test
    void longAMountedExt4MasterUnderFioReplicatesAndEqualsItAfterUnmount() throws Exception
    {
        Assumptions.assumeTrue(Boolean.getBoolean("presync.long"), "long variant: run with -Dpresync.long=true");
        Assumptions.assumeTrue(onPath("fio"), "fio is not installed");
        final LoopDevices.Loop master = loops.create(8 * MASTER_BYTES);
        final LoopDevices.Loop pool = loops.create(1024 * MIB);
        Pool.create(pool.device(), Pool.CreateOptions.defaults()).close();
        LoopDevices.run("mkfs.ext4", "-q", "-F", "-b", "4096", "-E", "lazy_itable_init=0,lazy_journal_init=0", master.path());
        final Path mountPoint = Files.createTempDirectory(loops.folder(), "mnt-");
        boolean mounted = false;
        final ReplicationJob.Report report;
        try (ReplicationJob job = ReplicationJob.start(options(master, pool)))
        {
            LoopDevices.run("mount", master.path(), mountPoint.toString());
            mounted = true;
            final Process fio = new ProcessBuilder("fio", "--name=files", "--directory=" + mountPoint, "--rw=randrw", "--bs=16k",
                "--size=32m", "--nrfiles=8", "--numjobs=2", "--direct=1", "--fsync=16", "--time_based", "--runtime=20",
                "--output=/dev/null").redirectErrorStream(true).start();
            assertTrue(job.run(true, TimeUnit.SECONDS.toNanos(60), null).consistentReached());
            while (fio.isAlive())
            {
                job.doWork();
                Thread.sleep(1);
            }
            assertEquals(0, fio.waitFor());
            LoopDevices.run("umount", mountPoint.toString());
            mounted = false;
            report = job.run(true, null);
            assertEquals("ok", job.report(true).verify());
        }
        finally
        {
            if (mounted)
            {
                LoopDevices.run("umount", mountPoint.toString());
            }
        }
        assertTrue(report.streamedBytes() > 0, report.toString());
        assertExportEqualsMaster(master, pool);
    }

    /** Creates 256 KiB files, overwrites the middle of older ones in place and deletes some, each with fsync, until stopped. */
    private static Thread fileWriter(final Path directory, final AtomicBoolean stop)
    {
        final Thread t = new Thread(() ->
        {
            final Random random = new Random(21);
            final byte[] data = new byte[256 * 1024];
            try
            {
                for (int n = 0; !stop.get(); n++)
                {
                    random.nextBytes(data);
                    final Path created = directory.resolve("f" + n % 150);
                    Files.write(created, data);
                    final Path older = directory.resolve("f" + (n / 2) % 150);
                    if (n > 2 && Files.exists(older))
                    {
                        try (var channel = java.nio.channels.FileChannel.open(older, java.nio.file.StandardOpenOption.WRITE))
                        {
                            channel.write(java.nio.ByteBuffer.wrap(data, 0, 64 * 1024), 64 * 1024);
                            channel.force(true);
                        }
                    }
                    if (n % 7 == 6)
                    {
                        Files.deleteIfExists(directory.resolve("f" + (n + 75) % 150));
                    }
                    try (var channel = java.nio.channels.FileChannel.open(created, java.nio.file.StandardOpenOption.WRITE))
                    {
                        channel.force(true);
                    }
                    Thread.sleep(5);
                }
            }
            catch (final Exception ex)
            {
                throw new RuntimeException(ex);
            }
        });
        t.start();
        return t;
    }
}
