package io.presync.cli;

import io.presync.device.LoopDevices;
import io.presync.stream.WriteLog;
import io.presync.stream.WriteOp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Garbage in, a clear one-sentence error and the documented exit code out, never a stack trace:
 * cut and scribbled write logs, corrupted pool superblocks, malformed trace lines, absurd options.
 */
class GarbageInputsTest
{
    @TempDir
    Path dir;

    @RegisterExtension
    final LoopDevices loops = new LoopDevices();

    record Run(int code, String out, String err)
    {
    }

    static Run run(final String... args)
    {
        final StreamCommandsTest.Run r = StreamCommandsTest.run(args);
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), "no stack trace or exception name: " + r.err());
        return new Run(r.code(), r.out(), r.err());
    }

    /** Exit code {@code code} and an error starting with {@code message} (picocli's usage text may follow parse errors). */
    private static void assertError(final Run r, final int code, final String message)
    {
        assertEquals(code, r.code(), r.out() + r.err());
        assertTrue(r.err().startsWith(message), "expected '" + message + "' but got: " + r.err());
    }

    private Path log(final int records) throws IOException
    {
        final Path log = dir.resolve("log");
        try (WriteLog w = WriteLog.open(log, new WriteLog.Options().batchRecords(4)))
        {
            for (int i = 1; i <= records; i++)
            {
                w.append(i, 1000L * i, WriteOp.WRITE, 4096L * i, 4096, 1);
            }
        }
        return log;
    }

    @Test
    void truncatedWriteLogIsDumpedUpToTheCutAndTheCutReported() throws IOException
    {
        final Path log = log(10);
        final Path segment;
        try (var files = Files.list(log))
        {
            segment = files.findFirst().orElseThrow();
        }
        final byte[] whole = Files.readAllBytes(segment);
        // Cut in the middle of the last batch (records 9 and 10): 8 records survive.
        Files.write(segment, Arrays.copyOf(whole, whole.length - 20));
        final Run cut = run("log", "dump", log.toString());
        assertEquals(Main.EXIT_OK, cut.code(), "a cut is what a crash leaves: the whole batches are the log");
        assertEquals(9, cut.out().lines().count(), "header and 8 records: " + cut.out());
        assertTrue(cut.err().startsWith("presync: " + log + " was cut short (a crash while writing): "), cut.err());
        assertEquals(1, cut.err().lines().count(), cut.err());

        // Cut inside the segment header: nothing readable, still no stack trace.
        Files.write(segment, Arrays.copyOf(whole, 10));
        final Run headerCut = run("log", "dump", log.toString());
        assertEquals(Main.EXIT_OK, headerCut.code(), headerCut.err());
        assertEquals("time_ns,offset_bytes,length_bytes,op\n", headerCut.out());
        assertEquals("presync: " + log + " was cut short (a crash while writing): 10 bytes after the last whole batch were ignored.\n",
            headerCut.err());
    }

    @Test
    void scribbledWriteLogFailsNamingTheSegment() throws IOException
    {
        final Path log = log(10);
        final Path segment;
        try (var files = Files.list(log))
        {
            segment = files.findFirst().orElseThrow();
        }
        final byte[] bytes = Files.readAllBytes(segment);
        for (int i = bytes.length / 2; i < bytes.length / 2 + 16; i++)
        {
            bytes[i] ^= (byte)0x5A;
        }
        Files.write(segment, bytes);
        final Run r = run("log", "dump", log.toString());
        // Not a crash's cut but damage in the middle: an I/O failure (exit code 1) naming segment and byte,
        // after the records before the damaged batch.
        assertEquals(Main.EXIT_FAILURE, r.code(), r.err());
        assertTrue(r.err().startsWith("presync: " + segment + ": the batch at byte "), r.err());
        assertTrue(r.err().strip().endsWith("fails its CRC32C check; the log is corrupt there."), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.out().startsWith("time_ns,offset_bytes,length_bytes,op\n1000,4096,4096,WRITE\n"), r.out());
    }

    @Test
    void corruptedPoolSuperblocks() throws IOException
    {
        final LoopDevices.Loop pool = loops.create(16L << 20);
        assertEquals(Main.EXIT_OK, run("pool", "create", pool.path()).code());
        // One superblock scribbled: the pool opens from the other and says so.
        scribble(pool, 0);
        final Run one = run("pool", "list", "--pool", pool.path());
        assertEquals(Main.EXIT_OK, one.code(), one.err());
        assertTrue(one.err().startsWith("presync: warning: superblock 0 is invalid (bad CRC32C); using superblock 1"), one.err());
        // Both scribbled (magic kept): an I/O failure naming both problems, exit code 1.
        scribble(pool, 1);
        assertError(run("pool", "list", "--pool", pool.path()), Main.EXIT_FAILURE,
            "presync: neither superblock of " + pool.path() + " is valid: superblock 0: bad CRC32C; superblock 1: bad CRC32C\n");
        assertError(run("verify", "--master", pool.path() + "x", "--pool", pool.path(), "--partition", "vm"), Main.EXIT_USAGE,
            "presync: " + pool.path() + "x does not exist; name the master's block device with --master\n");
        // Both wiped: not a pool at all, which the user fixes by creating one (exit code 2).
        try (RandomAccessFile f = new RandomAccessFile(pool.device().toFile(), "rw"))
        {
            f.write(new byte[8192]);
        }
        assertError(run("pool", "list", "--pool", pool.path()), Main.EXIT_USAGE,
            "presync: " + pool.path() + " holds no presync pool; create one with 'presync pool create " + pool.path() + "'\n");
    }

    /** Flips bytes inside superblock {@code index}'s page (after the magic, so it still looks like a pool). */
    private static void scribble(final LoopDevices.Loop pool, final int index) throws IOException
    {
        try (RandomAccessFile f = new RandomAccessFile(pool.device().toFile(), "rw"))
        {
            f.seek(4096L * index + 100);
            f.write(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
            f.getFD().sync();
        }
    }

    @Test
    void malformedTraceLinesNameFileAndLine() throws IOException
    {
        final Path msr = dir.resolve("trace.csv");
        Files.writeString(msr, "128166372003061629,wdev,0,Write,3154258432,4096,2130\n" +
            "128166372003061630,wdev,0,Write,3154262528,4096,2130\n" +
            "128166372003061631,wdev,0,Write,-12,4096,2130\n");
        final String out = dir.resolve("series.csv").toString();
        final Run bad = run("trace", "aggregate", "--format", "msr", "--in", msr.toString(), "--out", out);
        assertEquals(Main.EXIT_USAGE, bad.code(), bad.err());
        assertTrue(bad.err().startsWith("presync: " + msr + ":3: "), bad.err());
        assertTrue(bad.err().strip().endsWith("fix the line or pass --skip-bad"), bad.err());

        final Path cloud = dir.resolve("cloud.csv");
        Files.writeString(cloud, "\u0000\u0001binary junk\n");
        final Run junk = run("trace", "aggregate", "--format", "cloudphysics", "--in", cloud.toString(), "--out", out);
        assertEquals(Main.EXIT_USAGE, junk.code(), junk.err());
        assertTrue(junk.err().startsWith("presync: " + cloud + ":1: "), junk.err());

        final Run skipped = run("trace", "aggregate", "--format", "msr", "--in", msr.toString(), "--out", out, "--skip-bad");
        assertEquals(Main.EXIT_OK, skipped.code(), skipped.err());
        assertTrue(skipped.out().contains("1 malformed lines skipped"), skipped.out());
    }

    @Test
    void absurdOptions() throws IOException
    {
        final Path series = dir.resolve("series.csv");
        Files.writeString(series, "ts_us,write_bytes\n1,10\n2,20\n3,30\n4,40\n");
        for (final String confidence : new String[] {"0", "1", "-0.5", "1.5", "NaN"})
        {
            final Run r = run("forecast", "--input", series.toString(), "--horizon", "2", "--confidence", confidence);
            assertEquals(Main.EXIT_USAGE, r.code(), confidence + ": " + r.err());
            assertTrue(r.err().startsWith("presync: --confidence must lie strictly between 0 and 1"), confidence + ": " + r.err());
        }
        assertError(run("forecast", "--input", series.toString(), "--horizon", "-2"), Main.EXIT_USAGE,
            "presync: --horizon must be at least 1 bucket, was -2");
        assertError(run("forecast", "--input", series.toString(), "--horizon", "2", "--window", "-5"), Main.EXIT_USAGE, "presync: --window");

        // plan and replicate check --confidence before they open anything.
        for (final String command : new String[] {"plan", "replicate"})
        {
            for (final String confidence : new String[] {"0", "1", "-0.5", "1.5", "NaN"})
            {
                final Run r = run(command, "--master", "/dev/null", "--pool", "/dev/null", "--confidence", confidence);
                assertEquals(Main.EXIT_USAGE, r.code(), command + " " + confidence + ": " + r.err());
                assertTrue(r.err().startsWith("presync: --confidence must lie between 0 and 1 (exclusive), not "),
                    command + " " + confidence + ": " + r.err());
            }
            assertError(run(command, "--master", "/dev/null", "--pool", "/dev/null", "--max-partition=-5G"), Main.EXIT_USAGE,
                "Invalid value for option '--max-partition': '-5G' is not a size (sizes cannot be negative)");
        }

        // Negative sizes are refused by the size parser, before anything is opened.
        assertError(run("pool", "allocate", "--pool", "/dev/null", "--name", "x", "--size=-5G"), Main.EXIT_USAGE,
            "Invalid value for option '--size': '-5G' is not a size (sizes cannot be negative)");
        assertError(run("pool", "create", "/dev/null", "--unit=-1M"), Main.EXIT_USAGE,
            "Invalid value for option '--unit': '-1M' is not a size (sizes cannot be negative)");
        assertError(run("copy", "--from", "/dev/null", "--to", "/dev/null", "--chunk=-1M"), Main.EXIT_USAGE,
            "Invalid value for option '--chunk': '-1M' is not a size (sizes cannot be negative)");

        // Queue depth 0 (and negative, and too deep) on real devices.
        final LoopDevices.Loop from = loops.create(1L << 20);
        final LoopDevices.Loop to = loops.create(1L << 20);
        for (final String depth : new String[] {"0", "-3", "100000"})
        {
            assertError(run("copy", "--from", from.path(), "--to", to.path(), "--queue-depth", depth), Main.EXIT_USAGE,
                "presync: --queue-depth " + depth + " is not valid; use 1 to 4096 (default 4)");
        }
        assertError(run("copy", "--from", from.path(), "--to", to.path(), "--chunk", "1000"), Main.EXIT_USAGE, "presync: ");
    }
}
