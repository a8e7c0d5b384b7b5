package io.presync.cli;

import io.presync.device.LoopDevices;
import io.presync.stream.WriteLog;
import io.presync.stream.WriteLogReader;
import io.presync.stream.WriteOp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** presync tap, log dump and trace aggregate through Main, as a user runs them. */
class StreamCommandsTest
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
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int code = Main.execute(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    static Path fixture(final String name)
    {
        try
        {
            return Path.of(StreamCommandsTest.class.getResource("/stream/" + name).toURI());
        }
        catch (final URISyntaxException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    @Test
    void traceAggregateWritesTheSeries() throws IOException
    {
        final Path out = dir.resolve("series.csv");
        final Run r = run("trace", "aggregate", "--in", fixture("cloudphysics-small.csv").toString(),
            "--format", "cloudphysics", "--interval", "1m", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("ts_us,write_bytes,new_bytes,write_requests",
            "160000000,12800,8192,3", "220000000,5120,4096,2", "280000000,12288,12288,1"), Files.readAllLines(out));
        assertTrue(r.out().contains("6 events, 2 reads skipped"), r.out());
    }

    @Test
    void traceAggregateRefusesMalformedLinesUnlessSkipBad() throws IOException
    {
        final Path bad = fixture("cloudphysics-bad.csv");
        final Path out = dir.resolve("series.csv");
        final Run refused = run("trace", "aggregate", "--in", bad.toString(), "--format", "cloudphysics",
            "--interval", "30m", "--out", out.toString());
        assertEquals(Main.EXIT_USAGE, refused.code());
        assertEquals("presync: " + bad + ":3: expected 5 comma-separated fields (version,time,op,size,lbn), found 3; " +
            "fix the line or pass --skip-bad", refused.err().strip());
        final Run skipped = run("trace", "aggregate", "--in", bad.toString(), "--format", "cloudphysics",
            "--interval", "30m", "--out", out.toString(), "--skip-bad");
        assertEquals(0, skipped.code(), skipped.err());
        assertTrue(skipped.out().contains("2 malformed lines skipped"), skipped.out());
        final Run unknown = run("trace", "aggregate", "--in", bad.toString(), "--format", "vscsi", "--out", out.toString());
        assertEquals(Main.EXIT_USAGE, unknown.code());
        assertTrue(unknown.err().contains("unknown trace format 'vscsi'"), unknown.err());
    }

    @Test
    void logDumpPrintsCsvAndJsonAndReportsACut() throws IOException
    {
        final Path log = dir.resolve("log");
        try (WriteLog w = WriteLog.open(log, new WriteLog.Options().batchRecords(2)))
        {
            w.append(1, 1000, WriteOp.WRITE, 4096, 8192, 1);
            w.append(2, 2000, WriteOp.DISCARD, 1 << 20, 65536, 1);
            w.append(3, 3000, WriteOp.LOST, 0, 1 << 30, 42);
        }
        final Run csv = run("log", "dump", log.toString());
        assertEquals(0, csv.code(), csv.err());
        assertEquals("time_ns,offset_bytes,length_bytes,op\n1000,4096,8192,WRITE\n2000,1048576,65536,DISCARD\n" +
            "3000,0,1073741824,LOST\n", csv.out());
        final Run json = run("log", "dump", log.toString(), "--format", "json");
        assertEquals(0, json.code(), json.err());
        assertTrue(json.out().startsWith("{\"sequence\":1,\"timeNanos\":1000,\"offsetBytes\":4096,\"lengthBytes\":8192,\"op\":\"WRITE\"}\n"),
            json.out());
        assertTrue(json.out().contains("\"op\":\"LOST\",\"lostCount\":42}"), json.out());

        final Path segment = Files.list(log).findFirst().orElseThrow();
        Files.write(segment, java.util.Arrays.copyOf(Files.readAllBytes(segment), (int)Files.size(segment) - 10));
        final Run cut = run("log", "dump", log.toString());
        assertEquals(0, cut.code());
        assertEquals("time_ns,offset_bytes,length_bytes,op\n1000,4096,8192,WRITE\n2000,1048576,65536,DISCARD\n", cut.out());
        assertTrue(cut.err().contains("was cut short") && cut.err().contains("(1 records)"), cut.err());
    }

    @Test
    void logDumpOfNothingIsRefused()
    {
        final Run r = run("log", "dump", dir.resolve("absent").toString());
        assertEquals(Main.EXIT_USAGE, r.code());
        assertTrue(r.err().contains("does not exist"), r.err());
    }

    @Test
    void tapRecordsForADurationAndSummarises() throws Exception
    {
        final LoopDevices.Loop loop = loops.create(32 << 20);
        final Path log = dir.resolve("tap-log");
        final AtomicBoolean stop = new AtomicBoolean();
        // Keep writing one block until the command is done: whenever the tap starts, it sees some.
        final Thread writer = Thread.ofPlatform().start(() ->
        {
            while (!stop.get())
            {
                try
                {
                    LoopDevices.run("dd", "if=/dev/zero", "of=" + loop.path(), "bs=4k", "count=1", "seek=77", "oflag=direct", "status=none");
                    Thread.sleep(50);
                }
                catch (final IOException | InterruptedException ex)
                {
                    return;
                }
            }
        });
        final Run r;
        try
        {
            r = run("tap", "--device", loop.path(), "--out", log.toString(), "--duration", "3s", "--buffer-size", "1M");
        }
        finally
        {
            stop.set(true);
            writer.join();
        }
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("tapping " + loop.path()), r.out());
        assertTrue(r.out().contains("lost: 0"), r.out());
        final List<long[]> writes = new ArrayList<>();
        final WriteLogReader.Result result = WriteLogReader.replay(log, e ->
        {
            if (e.op() == WriteOp.WRITE)
            {
                writes.add(new long[] {e.offsetBytes(), e.lengthBytes()});
            }
        });
        assertTrue(result.records() > 0);
        assertTrue(!writes.isEmpty());
        for (final long[] w : writes)
        {
            assertEquals(77 * 4096, w[0]);
            assertEquals(4096, w[1]);
        }
    }

    @Test
    void tapRefusesAFileAsDevice() throws IOException
    {
        final Path file = Files.createFile(dir.resolve("plain"));
        final Run r = run("tap", "--device", file.toString(), "--out", dir.resolve("log").toString(), "--duration", "1s");
        assertEquals(Main.EXIT_USAGE, r.code());
        assertTrue(r.err().contains("is not a block device"), r.err());
    }

    @Test
    void durations()
    {
        assertEquals(30L * 60_000_000_000L, DurationConverter.parseNanos("30m"));
        assertEquals(10_000_000_000L, DurationConverter.parseNanos("10s"));
        assertEquals(10_000_000_000L, DurationConverter.parseNanos("10"));
        assertEquals(2 * 3_600_000_000_000L, DurationConverter.parseNanos("2h"));
        assertEquals(250_000_000L, DurationConverter.parseNanos("250ms"));
        assertThrows(IllegalArgumentException.class, () -> DurationConverter.parseNanos("3 weeks"));
        assertThrows(IllegalArgumentException.class, () -> DurationConverter.parseNanos("-1s"));
        assertThrows(IllegalArgumentException.class, () -> DurationConverter.parseNanos("0s"));
    }
}
