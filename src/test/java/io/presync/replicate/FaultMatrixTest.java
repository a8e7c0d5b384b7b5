package io.presync.replicate;

import io.presync.cli.Main;
import io.presync.device.LoopDevices;
import io.presync.pool.Partition;
import io.presync.pool.PartitionInfo;
import io.presync.pool.Pool;
import io.presync.uring.Ring;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The fault matrix of issue #8 on real loop devices: a job SIGKILLed at random moments under a write
 * load, the storage below the pool running full, a master or pool device vanishing mid-copy, and a tap
 * overrun under a write burst. Each ends with the same command resuming and the export equal to the
 * master. {@code -Dpresync.long=true} runs larger devices and later kill moments; {@code
 * -Dpresync.seed=N} repeats a run's kill moments (they are printed).
 */
class FaultMatrixTest
{
    private static final long MIB = 1L << 20;
    private static final boolean LONG = Boolean.getBoolean("presync.long");
    private static final String PARTITION = "m";

    @RegisterExtension
    final LoopDevices loops = new LoopDevices();

    @BeforeEach
    void needsUring()
    {
        Assumptions.assumeTrue(Ring.unavailableReason() == null, "io_uring unavailable: " + Ring.unavailableReason());
    }

    /** A master with random data in {@code pieces} 4 MiB pieces spread over it. */
    private LoopDevices.Loop master(final long sizeBytes, final int pieces) throws IOException
    {
        final LoopDevices.Loop master = loops.create(sizeBytes);
        for (int i = 0; i < pieces; i++)
        {
            ReplicaFixtures.writeRandom(master.device(), i * (sizeBytes / pieces) & -MIB, 4 * MIB, 100 + i);
        }
        return master;
    }

    private LoopDevices.Loop pool(final long sizeBytes) throws IOException
    {
        final LoopDevices.Loop pool = loops.create(sizeBytes);
        Pool.create(pool.device(), Pool.CreateOptions.defaults()).close();
        return pool;
    }

    /** The options the in-process fault cases share; each sets what it tests on top. */
    private ReplicationJob.Options options(final LoopDevices.Loop master, final LoopDevices.Loop pool)
    {
        return ReplicaFixtures.jobOptions(master, pool, PARTITION, loops.folder().resolve("log"));
    }

    /**
     * A pool whose 128 MiB loop device sits on a sparse file in a tmpfs far smaller than that: storage
     * below the pool that runs full. Closing detaches the pool and unmounts the tmpfs.
     */
    private final class PoolOnSmallTmpfs implements AutoCloseable
    {
        final Path fs;
        final Path file;
        final LoopDevices.Loop pool;

        PoolOnSmallTmpfs(final String tmpfsSize) throws IOException
        {
            fs = Files.createDirectory(loops.folder().resolve("fs"));
            LoopDevices.run("mount", "-t", "tmpfs", "-o", "size=" + tmpfsSize, "presync-faults", fs.toString());
            file = fs.resolve("pool.img");
            LoopDevices.Loop attached = null;
            try
            {
                try (var raf = new java.io.RandomAccessFile(file.toFile(), "rw"))
                {
                    raf.setLength(128 * MIB);
                }
                attached = loops.attach(file, 512);
                Pool.create(attached.device(), Pool.CreateOptions.defaults()).close();
            }
            catch (final IOException | RuntimeException ex)
            {
                try
                {
                    release(attached);
                }
                catch (final IOException | RuntimeException cleanup)
                {
                    ex.addSuppressed(cleanup);
                }
                throw ex;
            }
            pool = attached;
        }

        /** Remounts the tmpfs with another size: space freed or taken away under the pool. */
        void resize(final String tmpfsSize) throws IOException
        {
            LoopDevices.run("mount", "-o", "remount,size=" + tmpfsSize, fs.toString());
        }

        private void release(final LoopDevices.Loop attached) throws IOException
        {
            if (attached != null)
            {
                loops.detach(attached);
            }
            LoopDevices.run("umount", fs.toString());
        }

        @Override
        public void close() throws IOException
        {
            release(pool);
        }
    }

    record Cli(int code, String out, String err)
    {
    }

    private static Cli cli(final String... args)
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int code = Main.execute(args, new PrintWriter(out), new PrintWriter(err));
        return new Cli(code, out.toString(), err.toString());
    }

    private static String[] replicate(final LoopDevices.Loop master, final Path pool, final Path log, final String... more)
    {
        final List<String> args = new ArrayList<>(List.of("replicate", "--master", master.path(), "--pool", pool.toString(),
            "--partition", PARTITION, "--log", log.toString()));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    /** One sentence for the user: a single "presync: " line, no exception name, no stack trace. */
    private static void assertOneSentence(final String err)
    {
        assertTrue(err.startsWith("presync: "), err);
        assertEquals(1, err.strip().lines().count(), err);
        assertFalse(err.contains("Exception") || err.contains("\tat "), err);
    }

    private static Optional<PartitionInfo> committedPartition(final Path pool) throws IOException
    {
        try (Pool opened = Pool.openReadOnly(pool))
        {
            final Optional<PartitionInfo> info = opened.partition(PARTITION);
            if (info.isPresent())
            {
                // Its committed extent map must load (its CRC32C checks) after every fault.
                try (Partition view = opened.viewPartition(PARTITION))
                {
                    assertTrue(view.usedBytes() >= 0);
                }
            }
            return info;
        }
    }

    /** The phase in the job state committed with the partition (the pool's metadata), or "none". */
    private static String phase(final Path pool) throws IOException
    {
        try (Pool opened = Pool.openReadOnly(pool))
        {
            if (opened.partition(PARTITION).isEmpty())
            {
                return "none";
            }
            try (Partition view = opened.viewPartition(PARTITION))
            {
                final byte[] state = view.jobState();
                if (state == null)
                {
                    return "none";
                }
                final Properties p = new Properties();
                p.load(new java.io.ByteArrayInputStream(state));
                return p.getProperty("phase", "?");
            }
        }
    }

    /** Only when a test failed before a job's tap could remove its dead predecessors' instances. */
    private static void removeTraceInstancesOf(final List<Long> pids)
    {
        for (final long pid : pids)
        {
            final Path instance = Path.of("/sys/kernel/tracing/instances", "presync-" + pid);
            if (Files.exists(instance))
            {
                try
                {
                    LoopDevices.run("rmdir", instance.toString());
                }
                catch (final IOException ex)
                {
                    System.err.println("FaultMatrixTest: could not remove " + instance + ": " + ex.getMessage());
                }
            }
        }
    }

    /** The tap's trace instance of a killed child is removed by the next job's tap; none may be left. */
    private static void assertNoTraceInstanceOf(final List<Long> pids)
    {
        for (final long pid : pids)
        {
            for (final String root : new String[] {"/sys/kernel/tracing/instances", "/sys/kernel/debug/tracing/instances"})
            {
                assertFalse(Files.exists(Path.of(root, "presync-" + pid)), "trace instance of child " + pid + " left behind");
            }
        }
    }

    @Test
    void sigkillAtTwentyRandomMomentsUnderLoadThenResumeEqualsTheMaster() throws Exception
    {
        final long masterBytes = LONG ? 512 * MIB : 64 * MIB;
        final int kills = LONG ? 40 : 20;
        final int latestKillMillis = LONG ? 12_000 : 4_000;
        final long seed = Long.getLong("presync.seed", 20261125L);
        final Random random = new Random(seed);
        // A negative moment counts from the child's start (JVM start-up, tap, map, probe, allocation), a
        // positive one from its printed plan (the job runs: copy, comparison, streaming, commits). Counting
        // the latter from the plan keeps them inside the replication however slow a loaded machine starts.
        final int[] moments = new int[kills];
        for (int i = 0; i < kills; i++)
        {
            moments[i] = random.nextInt(4) == 0 ? -(200 + random.nextInt(4_000)) : 1 + random.nextInt(latestKillMillis);
        }
        System.out.println("FaultMatrixTest: seed " + seed + " (-Dpresync.seed), SIGKILL at ms (negative: after the child's " +
            "start, positive: after its plan) " + Arrays.toString(moments));
        final LoopDevices.Loop master = master(masterBytes, (int)(masterBytes / (8 * MIB)));
        final LoopDevices.Loop pool = pool(2 * masterBytes + 64 * MIB);
        final Path log = loops.folder().resolve("log");
        final List<Long> pids = new ArrayList<>();
        final List<String> phases = new ArrayList<>();
        try
        {
            killAndResume(master, pool, log, moments, seed, pids, phases);
        }
        finally
        {
            removeTraceInstancesOf(pids);
        }
    }

    private void killAndResume(
        final LoopDevices.Loop master, final LoopDevices.Loop pool, final Path log, final int[] moments, final long seed,
        final List<Long> pids, final List<String> phases)
        throws Exception
    {
        final long masterBytes = Files.size(master.backingFile());
        final int kills = moments.length;
        int resumedRuns = 0;
        try (ReplicaFixtures.RateWriter writer = new ReplicaFixtures.RateWriter(master.device(), masterBytes, 250, seed))
        {
            for (int i = 0; i < kills; i++)
            {
                final Path out = loops.folder().resolve("kill-" + i + ".out");
                final Path err = loops.folder().resolve("kill-" + i + ".err");
                final boolean hadPartition = committedPartition(pool.device()).isPresent();
                final Process child = ReplicaFixtures.startJava(Main.class, out, err,
                    replicate(master, pool.device(), log));
                pids.add(child.pid());
                if (moments[i] > 0)
                {
                    awaitPlan(child, out, err);
                }
                final boolean exited = child.waitFor(Math.abs(moments[i]), TimeUnit.MILLISECONDS);
                assertFalse(exited, "run " + i + " ended by itself before its kill, exit " + (exited ? child.exitValue() : 0) + ": " +
                    Files.readString(err));
                ReplicaFixtures.kill(child);
                final Optional<PartitionInfo> after = committedPartition(pool.device());
                final String said = Files.readString(out, StandardCharsets.UTF_8);
                if (said.contains("resuming partition"))
                {
                    resumedRuns++;
                    assertTrue(hadPartition, "run " + i + " resumed a partition that was not committed");
                }
                phases.add(phase(pool.device()));
                System.out.println("FaultMatrixTest: kill " + i + " at " + Math.abs(moments[i]) + " ms after its " +
                    (moments[i] < 0 ? "start" : "plan") + ": " +
                    (said.isEmpty() ? "before its plan was printed" : said.contains("resuming") ? "resumed run" : "new run, planned") +
                    ", job state phase " + phase(pool.device()) +
                    ", partition " + after.map(p -> p.state() + " with " + (p.usedBytes() >> 20) + " MiB committed").orElse("not allocated") +
                    ", writer writes so far " + writer.writes());
            }
        }
        System.out.println("FaultMatrixTest: phases at the kills " + phases + ", runs that resumed " + resumedRuns);
        assertTrue(resumedRuns > 0, "no run got far enough to resume: " + phases);

        // The writer has stopped: the same command with --until-synced catches up, verifies and ends equal.
        final Path out = loops.folder().resolve("final.out");
        final Path err = loops.folder().resolve("final.err");
        final Process last = ReplicaFixtures.startJava(Main.class, out, err,
            replicate(master, pool.device(), log, "--until-synced", "--json"));
        pids.add(last.pid());
        if (!last.waitFor(300, TimeUnit.SECONDS))
        {
            ReplicaFixtures.kill(last);
            fail("the final run did not catch up in 5 minutes: " + Files.readString(err));
        }
        final String report = Files.readString(out);
        assertEquals(0, last.exitValue(), report + Files.readString(err));
        assertTrue(report.contains("\"resumed\": \"yes\""), report);
        assertTrue(report.contains("\"verify\": \"ok\""), report);
        ReplicaFixtures.assertExportEqualsMaster(master, pool.device(), PARTITION, loops.folder().resolve("export.img"));
        assertNoTraceInstanceOf(pids);
    }

    /** The same command with --until-synced resumes the kept state, verifies, and the export equals the master. */
    private void assertSameCommandResumesToAnEqualReplica(final LoopDevices.Loop master, final Path pool, final Path log)
        throws IOException
    {
        final Cli resumed = cli(replicate(master, pool, log, "--until-synced", "--json"));
        assertEquals(0, resumed.code(), resumed.out() + resumed.err());
        assertTrue(resumed.out().contains("\"resumed\": \"yes\""), resumed.out());
        assertTrue(resumed.out().contains("\"verify\": \"ok\""), resumed.out());
        ReplicaFixtures.assertExportEqualsMaster(master, pool, PARTITION, loops.folder().resolve("export.img"));
    }

    /**
     * Options for a job a device fails under mid-copy: commits every 20 ms, and a bulk pass slow enough (64 MiB/s)
     * that the copy of 32 MiB is still running when the device fails (unlimited, a fast copy could finish
     * between reaching 8 MiB and {@link #runToMidCopy}'s check).
     */
    private ReplicationJob.Options midCopyOptions(final LoopDevices.Loop master, final LoopDevices.Loop pool)
    {
        final ReplicationJob.Options o = options(master, pool);
        o.commitIntervalNanos = TimeUnit.MILLISECONDS.toNanos(20);
        o.bulkLimitBytesPerSecond = 64 * MIB;
        return o;
    }

    /**
     * Runs the job until at least 8 MiB are copied and a commit has followed, then checks it is mid-copy;
     * returns the bytes the committed partition uses.
     */
    private static long runToMidCopy(final ReplicationJob job, final Path pool) throws Exception
    {
        while (job.copiedBytes() < 8 * MIB)
        {
            job.doWork();
        }
        Thread.sleep(30);
        job.doWork();
        final long committedBytes = committedPartition(pool).orElseThrow().usedBytes();
        assertTrue(committedBytes > 0 && job.copiedBytes() < 32 * MIB, "mid-copy: " + job.copiedBytes());
        return committedBytes;
    }

    /** Waits until the child printed its plan: the job has started (tapping, allocated or resumed). */
    private static void awaitPlan(final Process child, final Path out, final Path err) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (Files.size(out) == 0)
        {
            if (!child.isAlive())
            {
                fail("the child ended before its plan, exit " + child.exitValue() + ": " + Files.readString(err));
            }
            if (System.nanoTime() > deadline)
            {
                ReplicaFixtures.kill(child);
                fail("the child printed no plan in 120 s: " + Files.readString(err));
            }
            Thread.sleep(5);
        }
    }

    @Test
    void slaveBackingStorageFullIsOneClearErrorAndResumesOnceSpaceIsFreed() throws Exception
    {
        final long masterBytes = 64 * MIB;
        final LoopDevices.Loop master = master(masterBytes, 6);
        final byte[] masterBefore = Files.readAllBytes(master.backingFile());
        final Path log = loops.folder().resolve("log");
        try (PoolOnSmallTmpfs storage = new PoolOnSmallTmpfs("8m"))
        {
            final LoopDevices.Loop pool = storage.pool;
            final String expected = "presync: the storage below the pool " + pool.path() + " (its backing file " + storage.file +
                ") is full (";

            // 1. The planned partition cannot be reserved: nothing is allocated.
            final Cli full = cli(replicate(master, pool.device(), log, "--until-synced"));
            assertEquals(Main.EXIT_FAILURE, full.code(), full.out() + full.err());
            assertOneSentence(full.err());
            assertTrue(full.err().startsWith(expected), full.err());
            assertTrue(full.err().contains("the pool is unchanged; free space"), full.err());
            assertTrue(full.err().contains("run the same command again to resume"), full.err());
            assertTrue(committedPartition(pool.device()).isEmpty(), "nothing may be committed for a failed allocation");

            // 2. Room for a small partition but not for its extensions: the copy stops part-way, committed.
            storage.resize("16m");
            final Cli stopped = cli(replicate(master, pool.device(), log, "--until-synced", "--max-partition", "4M"));
            assertEquals(Main.EXIT_FAILURE, stopped.code(), stopped.out() + stopped.err());
            assertOneSentence(stopped.err());
            assertTrue(stopped.err().startsWith(expected), stopped.err());
            assertTrue(stopped.err().contains("the job state is kept"), stopped.err());
            final PartitionInfo kept = committedPartition(pool.device()).orElseThrow();
            System.out.println("FaultMatrixTest: storage full at allocation: " + full.err().strip());
            System.out.println("FaultMatrixTest: storage full at an extension: " + stopped.err().strip() + " / committed: " + kept);
            assertArrayEquals(masterBefore, Files.readAllBytes(master.backingFile()), "the master must be untouched");

            // 3. Space freed: the same command resumes and ends equal.
            storage.resize("256m");
            assertSameCommandResumesToAnEqualReplica(master, pool.device(), log);
        }
    }

    /**
     * The storage below does not keep the pool's reservation (thin storage that reclaimed it, shown here
     * by punching the partition's range out of the backing file and filling the tmpfs with another file):
     * the loop driver fails the data writes with ENOSPC, which must read as the same sentence; deleting
     * the filler file frees the space and the same command resumes.
     */
    @Test
    void slaveBackingStorageFullOnDataWritesIsTheSameErrorAndResumesAfterDeletingAFiller() throws Exception
    {
        final LoopDevices.Loop master = master(64 * MIB, 4);
        try (PoolOnSmallTmpfs storage = new PoolOnSmallTmpfs("32m"))
        {
            final LoopDevices.Loop pool = storage.pool;
            final Path file = storage.file;
            final ReplicationJob.Options o = options(master, pool);
            final Path filler = storage.fs.resolve("filler");
            try (ReplicationJob job = ReplicationJob.start(o))
            {
                final long unitBytes;
                final long startUnit;
                try (Pool view = Pool.openReadOnly(pool.device()))
                {
                    unitBytes = view.info().unitBytes();
                    startUnit = view.partition(PARTITION).orElseThrow().segments().get(0).startUnit();
                }
                // Keep the partition's first 2 MiB: its checksum pages and the first commit's tree and
                // job-state pages (the tightest fit puts them at the front of the data space).
                final long punchFrom = startUnit * unitBytes + 2 * MIB;
                LoopDevices.run("fallocate", "--punch-hole", "--offset", Long.toString(punchFrom),
                    "--length", Long.toString(128 * MIB - punchFrom), file.toString());
                try
                {
                    LoopDevices.run("dd", "if=/dev/zero", "of=" + filler, "bs=1M", "status=none");
                }
                catch (final IOException full)
                {
                    // dd stops at ENOSPC: the tmpfs is full now.
                }
                final IOException failure = assertThrows(IOException.class, () -> job.run(true, null));
                System.out.println("FaultMatrixTest: storage full on data writes: " + failure.getMessage());
                assertTrue(failure.getMessage().startsWith("the storage below the pool " + pool.path() + " (its backing file " + file +
                    ") is full ("), failure.getMessage());
                assertTrue(failure.getMessage().contains("ENOSPC"), failure.getMessage());
                assertTrue(failure.getMessage().endsWith("run the same command again to resume"), failure.getMessage());
            }
            assertTrue(committedPartition(pool.device()).isPresent(), "the allocation stays committed");
            Files.delete(filler);
            assertSameCommandResumesToAnEqualReplica(master, pool.device(), o.logDirectory);
        }
    }

    @Test
    void masterVanishingMidCopyKeepsTheStateAndResumesOnceBack() throws Exception
    {
        vanishMidCopy(true);
    }

    @Test
    void poolVanishingMidCopyKeepsTheStateAndResumesOnceBack() throws Exception
    {
        vanishMidCopy(false);
    }

    /**
     * {@code losetup -d} on a device that is open only sets autoclear (I/O goes on until the last close),
     * and this kernel has no device-mapper to swap in an error target, so the device's capacity is taken
     * away instead (LOOP_SET_STATUS64 with a 4 KiB size limit): what a hot-unplugged disk looks like to
     * its openers. Giving the limit back is the disk coming back, data as it was.
     */
    private void vanishMidCopy(final boolean masterVanishes) throws Exception
    {
        final LoopDevices.Loop master = master(64 * MIB, 8);
        final LoopDevices.Loop pool = pool(256 * MIB);
        final LoopDevices.Loop victim = masterVanishes ? master : pool;
        final String role = masterVanishes ? "master" : "pool";
        final ReplicationJob.Options o = midCopyOptions(master, pool);
        final long committedBefore;
        try (ReplicationJob job = ReplicationJob.start(o))
        {
            committedBefore = runToMidCopy(job, pool.device());
            ReplicaFixtures.limitLoopCapacity(victim.device(), 4096);
            final IOException failure = assertThrows(IOException.class, () -> job.run(true, null));
            System.out.println("FaultMatrixTest: " + role + " vanished: " + failure.getMessage());
            assertTrue(failure.getMessage().startsWith("the " + role + " " + victim.path() + " went away"), failure.getMessage());
            assertTrue(failure.getMessage().contains("the job state is kept"), failure.getMessage());
            assertTrue(failure.getMessage().endsWith("reattach it and run the same command again to resume"), failure.getMessage());
        }
        // While it is gone, the same command says why it cannot run, naming the device.
        final Cli gone = cli(replicate(master, pool.device(), o.logDirectory, "--until-synced"));
        System.out.println("FaultMatrixTest: rerun while the " + role + " is gone: " + gone.err().strip());
        assertEquals(Main.EXIT_USAGE, gone.code(), "refused: the device cannot hold what the command needs");
        assertOneSentence(gone.err());
        assertTrue(gone.err().contains(victim.path() + " has " + (masterVanishes ? "" : "only ") + "4096 bytes"), gone.err());

        ReplicaFixtures.limitLoopCapacity(victim.device(), 0);
        assertTrue(committedPartition(pool.device()).orElseThrow().usedBytes() >= committedBefore, "the committed copy is kept");
        assertSameCommandResumesToAnEqualReplica(master, pool.device(), o.logDirectory);
    }

    @Test
    void masterFailingWithIoErrorsNamesTheMasterAndResumesOnceItsStorageIsBack() throws Exception
    {
        failWithIoErrorsMidCopy(true);
    }

    @Test
    void poolFailingWithIoErrorsNamesThePoolAndResumesOnceItsStorageIsBack() throws Exception
    {
        failWithIoErrorsMidCopy(false);
    }

    /**
     * The other way a device dies: it stays, but every I/O fails with EIO. The device's loop device sits
     * over a file on an ext4 file system that is shut down mid-copy (after a sync); unmounting, mounting
     * again and attaching a new loop device over the same file is the storage coming back.
     */
    private void failWithIoErrorsMidCopy(final boolean masterFails) throws Exception
    {
        final LoopDevices.Loop fsDevice = loops.create(200 * MIB);
        LoopDevices.run("mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", fsDevice.path());
        final Path mountPoint = Files.createDirectory(loops.folder().resolve("ext4"));
        final Path file = mountPoint.resolve(masterFails ? "master.img" : "pool.img");
        LoopDevices.run("mount", fsDevice.path(), mountPoint.toString());
        boolean mounted = true;
        LoopDevices.Loop onFs = null;
        try
        {
            try (var raf = new java.io.RandomAccessFile(file.toFile(), "rw"))
            {
                raf.setLength(masterFails ? 64 * MIB : 128 * MIB);
            }
            onFs = loops.attach(file, 512);
            final LoopDevices.Loop master;
            final LoopDevices.Loop pool;
            if (masterFails)
            {
                master = onFs;
                for (int i = 0; i < 8; i++)
                {
                    ReplicaFixtures.writeRandom(master.device(), i * 8 * MIB, 4 * MIB, 200 + i);
                }
                pool = pool(256 * MIB);
            }
            else
            {
                master = master(64 * MIB, 8);
                pool = onFs;
                Pool.create(pool.device(), Pool.CreateOptions.defaults()).close();
            }
            final String role = masterFails ? "master" : "pool";
            final ReplicationJob.Options o = midCopyOptions(master, pool);
            final long committedBefore;
            try (ReplicationJob job = ReplicationJob.start(o))
            {
                committedBefore = runToMidCopy(job, pool.device());
                ReplicaFixtures.shutDownFileSystem(mountPoint);
                final IOException failure = assertThrows(IOException.class, () -> job.run(true, null));
                System.out.println("FaultMatrixTest: " + role + " failing with EIO: " + failure.getMessage());
                assertTrue(failure.getMessage().startsWith("the " + role + " " + onFs.path() + " failed an I/O ("), failure.getMessage());
                assertTrue(failure.getMessage().contains("EIO"), failure.getMessage());
                assertTrue(failure.getMessage().contains("the job state is kept"), failure.getMessage());
                assertTrue(failure.getMessage().endsWith("run the same command again to resume"), failure.getMessage());
            }
            // The storage comes back: the same file under a new loop device (the old one cannot recover).
            loops.detach(onFs);
            LoopDevices.run("umount", mountPoint.toString());
            mounted = false;
            LoopDevices.run("mount", fsDevice.path(), mountPoint.toString());
            mounted = true;
            onFs = loops.attach(file, 512);
            final LoopDevices.Loop masterBack = masterFails ? onFs : master;
            final Path poolBack = masterFails ? pool.device() : onFs.device();
            assertTrue(committedPartition(poolBack).orElseThrow().usedBytes() >= committedBefore, "the committed copy is kept");
            assertSameCommandResumesToAnEqualReplica(masterBack, poolBack, o.logDirectory);
        }
        finally
        {
            if (onFs != null)
            {
                loops.detach(onFs);
            }
            if (mounted)
            {
                LoopDevices.run("umount", mountPoint.toString());
            }
        }
    }

    @Test
    void tapOverrunUnderAWriteBurstFallsBackToChecksumsAndEndsEqual() throws Exception
    {
        final long masterBytes = 64 * MIB;
        final LoopDevices.Loop master = master(masterBytes, 4);
        final LoopDevices.Loop pool = pool(256 * MIB);
        final ReplicationJob.Options o = options(master, pool);
        // One 4 KiB kernel page per CPU and two pages handed out: a burst the job does not poll overruns it.
        o.tapBufferKb = 4;
        o.tapPagesInFlight = 2;
        final ReplicationJob.Report report;
        try (ReplicationJob job = ReplicationJob.start(o))
        {
            job.run(true, null);
            LoopDevices.run("dd", "if=/dev/urandom", "of=" + master.path(), "bs=4k", "count=3000", "seek=2000",
                "oflag=direct", "status=none");
            report = job.run(true, null);
            assertEquals("ok", job.report(true).verify());
        }
        assertTrue(report.lostReports() > 0, "the overrun must be detected: " + report);
        assertTrue(report.verifiedBytes() >= masterBytes, "a loss compares the whole device: " + report);
        ReplicaFixtures.assertExportEqualsMaster(master, pool.device(), PARTITION, loops.folder().resolve("export.img"));
    }
}
