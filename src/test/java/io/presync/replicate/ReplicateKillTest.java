package io.presync.replicate;

import io.presync.device.LoopDevices;
import io.presync.pool.Pool;
import io.presync.uring.Ring;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SIGKILL of a job in a child JVM during plan, copy, commit and streaming; the rerun resumes and converges. */
class ReplicateKillTest
{
    private static final long MIB = 1L << 20;

    @RegisterExtension
    final LoopDevices loops = new LoopDevices();

    private static void write(final Path device, final long at, final long bytes, final long seed) throws IOException
    {
        ReplicaFixtures.writeRandom(device, at, bytes, seed);
    }

    private Process child(final LoopDevices.Loop master, final LoopDevices.Loop pool, final Path log, final String... stopAt)
        throws IOException
    {
        final String[] args = new String[3 + stopAt.length];
        args[0] = master.path();
        args[1] = pool.path();
        args[2] = log.toString();
        System.arraycopy(stopAt, 0, args, 3, stopAt.length);
        return ReplicaFixtures.startJava(ReplicateChild.class, null, null, args);
    }

    /** Reads the child's lines until {@code wanted}; fails when its output ends first. */
    private static void awaitLine(final Process child, final String wanted) throws IOException
    {
        final BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        String last = null;
        for (String line = out.readLine(); line != null; line = out.readLine())
        {
            if (line.equals(wanted))
            {
                return;
            }
            last = line;
        }
        throw new AssertionError("the child ended before printing '" + wanted + "'; its last line: " + last);
    }

    private static void kill(final Process child) throws Exception
    {
        ReplicaFixtures.kill(child);
    }

    private record Devices(LoopDevices.Loop master, LoopDevices.Loop pool, Path log)
    {
    }

    /** A master holding {@code dataBytes} of random data from its start, a fresh pool and a write-log folder. */
    private Devices devices(final long masterBytes, final long poolBytes, final long dataBytes, final long seed) throws IOException
    {
        Assumptions.assumeTrue(Ring.unavailableReason() == null, "io_uring unavailable");
        final LoopDevices.Loop master = loops.create(masterBytes);
        final LoopDevices.Loop pool = loops.create(poolBytes);
        Pool.create(pool.device(), Pool.CreateOptions.defaults()).close();
        write(master.device(), 0, dataBytes, seed);
        return new Devices(master, pool, Files.createTempDirectory(loops.folder(), "log-"));
    }

    @Test
    void killedDuringCopyAndStreamingResumesAndConverges() throws Exception
    {
        final Devices d = devices(128 * MIB, 256 * MIB, 48 * MIB, 1);
        final LoopDevices.Loop master = d.master();
        final LoopDevices.Loop pool = d.pool();
        final Path log = d.log();

        // 1. Killed in the middle of the copy.
        final Process first = child(master, pool, log);
        final BufferedReader out1 = new BufferedReader(new InputStreamReader(first.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("started new", out1.readLine());
        long copied = 0;
        for (String line = out1.readLine(); line != null && copied < 12 * MIB; line = out1.readLine())
        {
            assertTrue(line.startsWith("copy "), line);
            copied = Long.parseLong(line.substring(5));
        }
        kill(first);
        assertTrue(copied < 48 * MIB, "the copy finished before the kill: " + copied);

        // 2. The rerun resumes, is killed while streaming a write made under its tap.
        final Process second = child(master, pool, log);
        final BufferedReader out2 = new BufferedReader(new InputStreamReader(second.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("started resumed", out2.readLine());
        String line = out2.readLine();
        while (line != null && line.startsWith("copy "))
        {
            line = out2.readLine();
        }
        assertTrue(line != null && line.startsWith("synced "), String.valueOf(line));
        final long secondCopied = Long.parseLong(line.substring(7));
        assertTrue(secondCopied < 48 * MIB, "the resumed run copied everything again: " + secondCopied);
        write(master.device(), 70 * MIB, 2 * MIB, 2);
        Thread.sleep(200);
        kill(second);

        // 3. Untapped writes, then the same job in-process: equal, and far less than the whole copied.
        write(master.device(), 5 * MIB, MIB, 3);
        write(master.device(), 100 * MIB, MIB, 4);
        final ReplicationJob.Report report = resumeUntilSynced(master, pool, log);
        assertTrue(report.copiedBytes() + report.recopiedBytes() < 16 * MIB, report.toString());
        ReplicaFixtures.assertExportEqualsMaster(master, pool.device(), "m", loops.folder().resolve("export.img"));
    }

    @Test
    void killedDuringCommitAndDuringPlanResumesAndCopiesOnlyWhatIsMissing() throws Exception
    {
        final Devices d = devices(128 * MIB, 256 * MIB, 48 * MIB, 11);
        final LoopDevices.Loop master = d.master();
        final LoopDevices.Loop pool = d.pool();
        final Path log = d.log();

        // 1. Killed in a commit once 12 MiB are copied: the partition committed, the job state not yet.
        final Process first = child(master, pool, log, "commit");
        awaitLine(first, "phase commit");
        kill(first);

        // 2. The rerun is killed while it plans: its tap is open, nothing is copied yet.
        final Process second = child(master, pool, log, "plan");
        awaitLine(second, "phase plan");
        kill(second);

        // 3. Untapped writes, then the job resumes in-process: equal, and what the first run committed is not copied again.
        write(master.device(), 2 * MIB, MIB, 12);
        write(master.device(), 90 * MIB, MIB, 13);
        final ReplicationJob.Report report = resumeUntilSynced(master, pool, log);
        assertTrue(report.verifiedBytes() >= 12 * MIB, report.toString());
        assertTrue(report.copiedBytes() <= 48 * MIB - 12 * MIB + MIB, report.toString());
        assertTrue(report.recopiedBytes() >= MIB && report.recopiedBytes() < 4 * MIB, report.toString());
        ReplicaFixtures.assertExportEqualsMaster(master, pool.device(), "m", loops.folder().resolve("export.img"));
    }

    /** The same job, resumed in-process after the kills, run to its consistent point; its final verify must be clean. */
    private static ReplicationJob.Report resumeUntilSynced(final LoopDevices.Loop master, final LoopDevices.Loop pool, final Path log)
        throws IOException
    {
        final ReplicationJob.Options o = ReplicaFixtures.jobOptions(master, pool, "m", log);
        try (ReplicationJob job = ReplicationJob.start(o))
        {
            assertTrue(job.resumed());
            final ReplicationJob.Report report = job.run(true, null);
            assertEquals("ok", job.report(true).verify());
            return report;
        }
    }

    /**
     * SIGTERM (systemd stopping the service, kill) on {@code presync replicate} before its first consistent point: the
     * job stops, commits, removes its trace instance and says what it copied and how to go on, before the JVM exits;
     * the same command then resumes to an equal replica. (The report was lost: the shutdown hook released the JVM
     * before it was printed.)
     */
    @Test
    void sigtermStopsTheCommandWithItsReportAndTheSameCommandResumes() throws Exception
    {
        final Devices d = devices(64 * MIB, 128 * MIB, 32 * MIB, 7);
        final LoopDevices.Loop master = d.master();
        final LoopDevices.Loop pool = d.pool();
        final Path log = d.log();
        final Path stdout = loops.folder().resolve("replicate.out");
        final Path stderr = loops.folder().resolve("replicate.err");
        // 4 MiB/s: the bulk pass takes 8 s, so the signal lands mid-copy.
        final Process child = ReplicaFixtures.startJava(io.presync.cli.Main.class, stdout, stderr, "replicate", "--master",
            master.path(), "--pool", pool.path(), "--partition", "m", "--log", log.toString(), "--bulk-limit", "4M");
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.readString(stdout).contains("plan: partition") && child.isAlive() && System.nanoTime() < deadline)
        {
            Thread.sleep(50);
        }
        Thread.sleep(1500);
        assertTrue(child.isAlive(), "the job ended before the signal: " + Files.readString(stdout) + Files.readString(stderr));
        LoopDevices.run("kill", "-TERM", Long.toString(child.pid()));
        assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child did not stop on SIGTERM");
        assertEquals(143, child.exitValue(), Files.readString(stderr));
        final String report = Files.readString(stdout);
        assertTrue(report.contains("\nstopped replicating into partition 'm' after ") &&
            report.contains(" of 32 MiB copied, the job state committed; run the same command again to resume\n"), report);
        try (var instances = Files.list(Path.of("/sys/kernel/tracing/instances")))
        {
            assertEquals(java.util.List.of(), instances.map(p -> p.getFileName().toString())
                .filter(n -> n.contains(Long.toString(child.pid()))).toList(), "the job's trace instance is removed");
        }
        try (Pool view = Pool.openReadOnly(pool.device()))
        {
            final io.presync.pool.PartitionInfo m = view.partition("m").orElseThrow();
            assertEquals(io.presync.pool.PartitionState.COPYING, m.state());
            assertTrue(m.usedBytes() > 0 && m.usedBytes() < 32 * MIB, "stopped mid-copy with its progress committed: " + m.usedBytes());
        }

        final java.io.StringWriter out = new java.io.StringWriter();
        final java.io.StringWriter err = new java.io.StringWriter();
        assertEquals(0, io.presync.cli.Main.execute(new String[] {"replicate", "--master", master.path(), "--pool", pool.path(),
            "--partition", "m", "--log", log.toString(), "--until-synced"}, new java.io.PrintWriter(out), new java.io.PrintWriter(err)),
            out + " " + err);
        assertTrue(out.toString().contains("replicated into partition 'm' (resumed) in "), out.toString());
        ReplicaFixtures.assertExportEqualsMaster(master, pool.device(), "m", loops.folder().resolve("export.img"));
    }
}
