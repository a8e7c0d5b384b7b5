package io.presync.stream;

import io.presync.RefusedException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TraceReaderTest
{
    record Ev(long seq, long time, WriteOp op, long offset, long length)
    {
    }

    static Path fixture(final String name)
    {
        try
        {
            return Path.of(TraceReaderTest.class.getResource("/stream/" + name).toURI());
        }
        catch (final URISyntaxException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    static Path sharedTraces()
    {
        final String dir = System.getProperty("presync.traces");
        Assumptions.assumeTrue(dir != null && Files.isDirectory(Path.of(dir)),
            "shared traces folder " + dir + " is absent (set -Dpresync.traces); skipping the shared-trace test");
        return Path.of(dir);
    }

    private static List<Ev> read(final Path file, final TraceFormat format, final boolean skipBad, final TraceReader.Summary[] summary)
        throws IOException
    {
        final List<Ev> events = new ArrayList<>();
        summary[0] = TraceReader.read(file, format, skipBad,
            e -> events.add(new Ev(e.sequence(), e.timeNanos(), e.op(), e.offsetBytes(), e.lengthBytes())));
        return events;
    }

    @Test
    void cloudPhysicsFixture() throws IOException
    {
        final TraceReader.Summary[] s = new TraceReader.Summary[1];
        final List<Ev> events = read(fixture("cloudphysics-small.csv"), TraceFormat.CLOUDPHYSICS, false, s);
        assertEquals(List.of(
            new Ev(1, 100_000_000_000L, WriteOp.WRITE, 0, 4096),
            new Ev(2, 110_000_000_000L, WriteOp.WRITE, 4096, 512),
            new Ev(3, 130_000_000_000L, WriteOp.WRITE, 0, 8192),
            new Ev(4, 170_000_000_000L, WriteOp.WRITE, 8192, 4096),
            new Ev(5, 175_000_000_000L, WriteOp.WRITE, 8704, 1024),
            new Ev(6, 250_000_000_000L, WriteOp.WRITE, 1048576, 12288)), events);
        assertEquals(2, s[0].reads());
        assertEquals(9, s[0].lines());
        assertEquals(0, s[0].badLines());
        assertNull(s[0].log());
    }

    @Test
    void cloudPhysicsMalformedLineNamesFileAndLine()
    {
        final Path file = fixture("cloudphysics-bad.csv");
        final RefusedException ex = assertThrows(RefusedException.class,
            () -> TraceReader.read(file, TraceFormat.CLOUDPHYSICS, false, e -> { }));
        assertEquals(file + ":3: expected 5 comma-separated fields (version,time,op,size,lbn), found 3; " +
            "fix the line or pass --skip-bad", ex.getMessage());
    }

    @Test
    void cloudPhysicsSkipBadCountsThem() throws IOException
    {
        final TraceReader.Summary[] s = new TraceReader.Summary[1];
        final List<Ev> events = read(fixture("cloudphysics-bad.csv"), TraceFormat.CLOUDPHYSICS, true, s);
        assertEquals(2, s[0].badLines());
        assertEquals(3, events.size());
        assertEquals(List.of(1L, 2L, 3L), events.stream().map(Ev::seq).toList());
        assertEquals(16 * 512, events.get(2).offset());
    }

    @Test
    void msrFixture() throws IOException
    {
        final TraceReader.Summary[] s = new TraceReader.Summary[1];
        final List<Ev> events = read(fixture("msr-small.csv"), TraceFormat.MSR, false, s);
        assertEquals(List.of(
            new Ev(1, (128166372016382155L - 116444736000000000L) * 100, WriteOp.WRITE, 3744501760L, 4096),
            new Ev(2, (128166372026382245L - 116444736000000000L) * 100, WriteOp.WRITE, 3744505856L, 8192),
            new Ev(3, (128166372036382245L - 116444736000000000L) * 100, WriteOp.WRITE, 0, 512)), events);
        assertEquals(1, s[0].reads());
        // 2007-02-22: filetime is converted to the Unix epoch.
        assertEquals(2007, java.time.Instant.ofEpochSecond(events.get(0).time() / 1_000_000_000L)
            .atZone(java.time.ZoneOffset.UTC).getYear());
    }

    @Test
    void msrMalformedLines() throws IOException
    {
        final Path file = fixture("msr-bad.csv");
        final RefusedException ex = assertThrows(RefusedException.class, () -> TraceReader.read(file, TraceFormat.MSR, false, e -> { }));
        assertEquals(file + ":2: expected 7 comma-separated fields " +
            "(Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime), found 6; fix the line or pass --skip-bad", ex.getMessage());
        final TraceReader.Summary[] s = new TraceReader.Summary[1];
        final List<Ev> events = read(file, TraceFormat.MSR, true, s);
        assertEquals(2, s[0].badLines());
        assertEquals(1, events.size());
    }

    @Test
    void blkparseFixture() throws IOException
    {
        final TraceReader.Summary[] s = new TraceReader.Summary[1];
        final List<Ev> events = read(fixture("blkparse-small.txt"), TraceFormat.BLKPARSE, false, s);
        assertEquals(List.of(
            new Ev(1, 120_000, WriteOp.WRITE, 80 * 512, 8 * 512),
            new Ev(2, 200_000, WriteOp.WRITE, 160 * 512, 16 * 512),
            new Ev(3, 1_000_000, WriteOp.DISCARD, 2048 * 512, 128 * 512),
            new Ev(4, 1_500_000, WriteOp.FLUSH, 0, 0),
            new Ev(5, 2_000_000, WriteOp.WRITE_ZEROES, 4096 * 512, 128 * 512)), events);
        assertEquals(1, s[0].reads());
        assertEquals(0, s[0].badLines());
    }

    @Test
    void blkparseMalformedLines() throws IOException
    {
        final Path file = fixture("blkparse-bad.txt");
        final RefusedException ex = assertThrows(RefusedException.class,
            () -> TraceReader.read(file, TraceFormat.BLKPARSE, false, e -> { }));
        assertEquals(file + ":2: time '0.00x200000' is not SECONDS.NANOSECONDS; fix the line or pass --skip-bad", ex.getMessage());
        final TraceReader.Summary[] s = new TraceReader.Summary[1];
        final List<Ev> events = read(file, TraceFormat.BLKPARSE, true, s);
        assertEquals(2, s[0].badLines());
        assertEquals(2, events.size());
    }

    @Test
    void writeLogReadsBackAsTrace() throws IOException
    {
        final Path dir = Files.createTempDirectory("presync-trace-log");
        try
        {
            try (WriteLog log = WriteLog.open(dir.resolve("log"), new WriteLog.Options()))
            {
                log.append(1, 10, WriteOp.WRITE, 4096, 512, 1);
                log.append(2, 20, WriteOp.DISCARD, 8192, 4096, 1);
                log.append(3, 30, WriteOp.LOST, 0, 1 << 20, 17);
            }
            final TraceReader.Summary[] s = new TraceReader.Summary[1];
            final List<Ev> events = read(dir.resolve("log"), TraceFormat.LOG, false, s);
            assertEquals(List.of(new Ev(1, 10, WriteOp.WRITE, 4096, 512), new Ev(2, 20, WriteOp.DISCARD, 8192, 4096),
                new Ev(3, 30, WriteOp.LOST, 0, 1 << 20)), events);
            assertEquals(3, s[0].log().records());
        }
        finally
        {
            try (var files = Files.walk(dir))
            {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void sharedCloudPhysicsTrace() throws IOException
    {
        final Path file = sharedTraces().resolve("cloudPhysicsIO.csv");
        Assumptions.assumeTrue(Files.exists(file), file + " is absent; skipping");
        // An independent count straight from the CSV.
        long writes = 0;
        long writeBytes = 0;
        long reads = 0;
        try (BufferedReader in = Files.newBufferedReader(file))
        {
            in.readLine();
            String line;
            while ((line = in.readLine()) != null)
            {
                final String[] f = line.split(",");
                if (f[2].equals("2a"))
                {
                    writes++;
                    writeBytes += Long.parseLong(f[3]);
                }
                else
                {
                    reads++;
                }
            }
        }
        final long[] seen = new long[2];
        final TraceReader.Summary s = TraceReader.read(file, TraceFormat.CLOUDPHYSICS, false, e ->
        {
            seen[0]++;
            seen[1] += e.lengthBytes();
        });
        assertEquals(66_898, writes, "the README's write count");
        assertEquals(writes, s.events());
        assertEquals(writes, seen[0]);
        assertEquals(writeBytes, seen[1]);
        assertEquals(reads, s.reads());
        assertEquals(0, s.badLines());

        long sumRequests = 0;
        long sumBytes = 0;
        long sumNew = 0;
        try (WriteAggregator aggregator = new WriteAggregator(1_800_000_000_000L, 1 << 20, null))
        {
            TraceReader.read(file, TraceFormat.CLOUDPHYSICS, false, aggregator);
            for (int i = 0; i < aggregator.intervals(); i++)
            {
                sumRequests += aggregator.writeRequests(i);
                sumBytes += aggregator.writeBytes(i);
                sumNew += aggregator.newBytes(i);
            }
            // 7,200 s in 30-minute intervals; the last event falls exactly on the end of the fourth.
            assertEquals(5, aggregator.intervals());
        }
        assertEquals(writes, sumRequests);
        assertEquals(writeBytes, sumBytes);
        assertEquals(true, sumNew > 0 && sumNew <= sumBytes + 4096 * writes);
    }
}
