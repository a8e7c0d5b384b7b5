package io.presync.stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WriteLogTest
{
    @TempDir
    Path dir;

    record Rec(long seq, long time, WriteOp op, long offset, long length, long lost)
    {
        static Rec of(final WriteEvent e)
        {
            return new Rec(e.sequence(), e.timeNanos(), e.op(), e.offsetBytes(), e.lengthBytes(), e.lostCount());
        }
    }

    private static List<Rec> sample(final int n)
    {
        final List<Rec> recs = new ArrayList<>();
        final WriteOp[] ops = {WriteOp.WRITE, WriteOp.DISCARD, WriteOp.WRITE_ZEROES, WriteOp.FLUSH, WriteOp.WRITE};
        for (int i = 0; i < n; i++)
        {
            final WriteOp op = i % 97 == 96 ? WriteOp.LOST : ops[i % ops.length];
            final long lost = op == WriteOp.LOST ? (i % 2 == 0 ? WriteEvent.UNKNOWN_COUNT : 1234) : 1;
            recs.add(new Rec(i + 1, 1_000_000_000L * i + 7, op, 4096L * i, op == WriteOp.FLUSH ? 0 : 512L * (1 + i % 9), lost));
        }
        return recs;
    }

    /** assertEquals on lists that names the first difference instead of printing both lists. */
    static <T> void assertSameList(final List<T> expected, final List<T> actual)
    {
        for (int i = 0; i < Math.min(expected.size(), actual.size()); i++)
        {
            assertEquals(expected.get(i), actual.get(i), "element " + i);
        }
        assertEquals(expected.size(), actual.size(), "size");
    }

    private static void write(final WriteLog log, final List<Rec> recs) throws IOException
    {
        for (final Rec r : recs)
        {
            log.append(r.seq(), r.time(), r.op(), r.offset(), r.length(), r.lost());
        }
    }

    private static List<Rec> read(final Path path, final WriteLogReader.Result[] result) throws IOException
    {
        final List<Rec> out = new ArrayList<>();
        result[0] = WriteLogReader.replay(path, e -> out.add(Rec.of(e)));
        return out;
    }

    @Test
    void roundTrip() throws IOException
    {
        final List<Rec> recs = sample(2500);
        try (WriteLog log = WriteLog.open(dir.resolve("log"), new WriteLog.Options().batchRecords(100)))
        {
            write(log, recs);
        }
        final WriteLogReader.Result[] result = new WriteLogReader.Result[1];
        assertSameList(recs, read(dir.resolve("log"), result));
        assertEquals(2500, result[0].records());
        assertEquals(25, result[0].batches());
        assertFalse(result[0].wasCut());
    }

    @Test
    void reopenContinuesSequenceInNewSegment() throws IOException
    {
        final List<Rec> recs = sample(30);
        try (WriteLog log = WriteLog.open(dir.resolve("log"), new WriteLog.Options()))
        {
            write(log, recs.subList(0, 10));
        }
        try (WriteLog log = WriteLog.open(dir.resolve("log"), new WriteLog.Options()))
        {
            assertEquals(11, log.nextSequence());
            write(log, recs.subList(10, 30));
        }
        final WriteLogReader.Result[] result = new WriteLogReader.Result[1];
        assertSameList(recs, read(dir.resolve("log"), result));
        assertEquals(2, result[0].segments());
    }

    @Test
    void truncatedLogReadsWholeBatchesAndReportsTheCut() throws IOException
    {
        final List<Rec> recs = sample(250);
        try (WriteLog log = WriteLog.open(dir.resolve("log"), new WriteLog.Options().batchRecords(100)))
        {
            write(log, recs);
        }
        final Path segment = WriteLog.segments(dir.resolve("log")).firstEntry().getValue();
        final long size = Files.size(segment);
        // Batches: 64 + 3 batches (100, 100, 50 records): cut the last batch in the middle of its records.
        final long lastBatch = size - (WriteLogDescriptor.BATCH_HEADER_BYTES + 50 * WriteLogDescriptor.RECORD_BYTES);
        final long cutAt = lastBatch + WriteLogDescriptor.BATCH_HEADER_BYTES + 10 * WriteLogDescriptor.RECORD_BYTES + 5;
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE))
        {
            ch.truncate(cutAt);
        }
        final WriteLogReader.Result[] result = new WriteLogReader.Result[1];
        assertSameList(recs.subList(0, 200), read(segment, result));
        assertTrue(result[0].wasCut());
        assertEquals(cutAt - lastBatch, result[0].cutBytes());
        assertEquals(50, result[0].cutRecords());
        assertEquals(List.of(segment), result[0].cutSegments());

        // Cut inside the batch header: the record count is unknown.
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE))
        {
            ch.truncate(lastBatch + 7);
        }
        assertSameList(recs.subList(0, 200), read(dir.resolve("log"), result));
        assertEquals(7, result[0].cutBytes());
        assertEquals(-1, result[0].cutRecords());

        // A writer reopening the cut log continues after the last whole record.
        try (WriteLog log = WriteLog.open(dir.resolve("log"), new WriteLog.Options()))
        {
            assertEquals(201, log.nextSequence());
        }
    }

    @Test
    void corruptedBatchIsDetected() throws IOException
    {
        final List<Rec> recs = sample(300);
        try (WriteLog log = WriteLog.open(dir.resolve("log"), new WriteLog.Options().batchRecords(100)))
        {
            write(log, recs);
        }
        final Path segment = WriteLog.segments(dir.resolve("log")).firstEntry().getValue();
        // Flip one bit in a record of the first batch.
        final long at = WriteLogDescriptor.SEGMENT_HEADER_BYTES + WriteLogDescriptor.BATCH_HEADER_BYTES + 3 * 32 + 9;
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, at);
            b.put(0, (byte)(b.get(0) ^ 0x10)).position(0);
            ch.write(b, at);
        }
        final WriteLogCorruptException ex = assertThrows(WriteLogCorruptException.class,
            () -> WriteLogReader.replay(dir.resolve("log"), e -> { }));
        assertTrue(ex.getMessage().contains("byte " + WriteLogDescriptor.SEGMENT_HEADER_BYTES), ex.getMessage());
        assertTrue(ex.getMessage().contains("CRC32C"), ex.getMessage());
    }

    @Test
    void retentionDropsOldestSegments() throws IOException
    {
        final List<Rec> recs = sample(1000);
        final long segmentBytes = 64 + 10 * (32 + 10 * 32); // ten batches of ten records per segment
        try (WriteLog log = WriteLog.open(dir.resolve("log"),
            new WriteLog.Options().batchRecords(10).segmentBytes(segmentBytes).maxBytes(3 * segmentBytes)))
        {
            write(log, recs);
            assertTrue(log.segmentsDropped() > 0);
        }
        final var segments = WriteLog.segments(dir.resolve("log"));
        long total = 0;
        for (final Path p : segments.values())
        {
            total += Files.size(p);
        }
        assertTrue(total <= 3 * segmentBytes, "total " + total);
        final WriteLogReader.Result[] result = new WriteLogReader.Result[1];
        final List<Rec> kept = read(dir.resolve("log"), result);
        // What is kept is the newest tail, contiguous, ending with the last record.
        assertSameList(recs.subList(1000 - kept.size(), 1000), kept);
        assertTrue(kept.size() >= 200 && kept.size() < 1000, "kept " + kept.size());
    }

    @Test
    void ageRetentionDropsOldSegments() throws IOException
    {
        final List<Rec> recs = sample(40);
        try (WriteLog log = WriteLog.open(dir.resolve("log"), new WriteLog.Options()))
        {
            write(log, recs.subList(0, 20));
        }
        final Path old = WriteLog.segments(dir.resolve("log")).firstEntry().getValue();
        Files.setLastModifiedTime(old, FileTime.fromMillis(System.currentTimeMillis() - 3_600_000L));
        try (WriteLog log = WriteLog.open(dir.resolve("log"), new WriteLog.Options().maxAgeNanos(60_000_000_000L)))
        {
            write(log, recs.subList(20, 40));
        }
        assertFalse(Files.exists(old));
        final WriteLogReader.Result[] result = new WriteLogReader.Result[1];
        assertSameList(recs.subList(20, 40), read(dir.resolve("log"), result));
    }
}
