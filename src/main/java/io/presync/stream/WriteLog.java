package io.presync.stream;

import io.presync.RefusedException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.zip.CRC32C;

import static io.presync.stream.WriteLogDescriptor.*;

/**
 * The append-only write log: the history of completed writes the forecaster trains on and the
 * replication replays (format in {@link WriteLogDescriptor}). Events are buffered into batches of up
 * to {@code batchRecords} and written with one write call per batch, each with its CRC32C; segments
 * rotate at {@code segmentBytes}, and closed segments are dropped, oldest first, beyond the size
 * and age limits. Appending allocates nothing.
 *
 * <p>Not thread-safe: one writer thread. {@link #flush()} makes batches visible to readers;
 * {@link #sync()} also makes them durable.
 */
public final class WriteLog implements WriteEventHandler, AutoCloseable
{
    /** Rotation and retention settings. */
    public static final class Options
    {
        long segmentBytes = 64L << 20;
        long maxBytes = Long.MAX_VALUE;
        long maxAgeNanos = Long.MAX_VALUE;
        int batchRecords = 1024;

        /** Start a new segment when the current one reaches this size. */
        public Options segmentBytes(final long bytes)
        {
            segmentBytes = Math.max(SEGMENT_HEADER_BYTES + BATCH_HEADER_BYTES + RECORD_BYTES, bytes);
            return this;
        }

        /** Drop the oldest closed segments while all segments together are larger. */
        public Options maxBytes(final long bytes)
        {
            maxBytes = bytes;
            return this;
        }

        /** Drop closed segments whose newest record is older than this. */
        public Options maxAgeNanos(final long nanos)
        {
            maxAgeNanos = nanos;
            return this;
        }

        /** Records per batch (one write call and one CRC each). */
        public Options batchRecords(final int records)
        {
            if (records < 1 || records > MAX_BATCH_RECORDS)
            {
                throw new IllegalArgumentException("batchRecords must be in 1.." + MAX_BATCH_RECORDS + ", got " + records);
            }
            batchRecords = records;
            return this;
        }
    }

    private final Path directory;
    private final Options options;
    private final ByteBuffer batch;
    private final ByteBuffer segmentHeader = ByteBuffer.allocate(SEGMENT_HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private final CRC32C crc = new CRC32C();
    private FileChannel channel;
    private Path segment;
    private long segmentSize;
    private int count;
    private long batchFirstSequence;
    private long lastTimeNanos;
    private long nextSequence;
    private long recordsWritten;
    private long segmentsDropped;
    private boolean closed;

    private WriteLog(final Path directory, final Options options, final long nextSequence)
    {
        this.directory = directory;
        this.options = options;
        this.nextSequence = nextSequence;
        batch = ByteBuffer.allocateDirect(BATCH_HEADER_BYTES + options.batchRecords * RECORD_BYTES)
            .order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Opens (creating when absent) the log directory for appending. An existing log is continued in
     * a new segment; {@link #nextSequence()} says which sequence number follows its last record.
     */
    public static WriteLog open(final Path directory, final Options options) throws IOException
    {
        if (Files.exists(directory) && !Files.isDirectory(directory))
        {
            throw new RefusedException(directory + " is a file, not a write-log directory; give a new or existing log directory.");
        }
        Files.createDirectories(directory);
        long next = 1;
        final TreeMap<Long, Path> segments = segments(directory);
        if (!segments.isEmpty())
        {
            final long[] last = {0};
            final WriteLogReader.Result result = WriteLogReader.replaySegment(segments.lastEntry().getValue(),
                e -> last[0] = e.sequence());
            next = result.records() > 0 ? last[0] + 1 : segments.lastKey();
        }
        final WriteLog log = new WriteLog(directory, options, next);
        log.startSegment(next);
        log.applyRetention();
        return log;
    }

    /** Segments of a log directory by first sequence number. */
    static TreeMap<Long, Path> segments(final Path directory) throws IOException
    {
        final TreeMap<Long, Path> segments = new TreeMap<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory, "*" + SEGMENT_SUFFIX))
        {
            for (final Path p : stream)
            {
                final var m = SEGMENT_NAME.matcher(p.getFileName().toString());
                if (m.matches())
                {
                    segments.put(Long.parseLong(m.group(1)), p);
                }
            }
        }
        return segments;
    }

    private void startSegment(final long firstSequence) throws IOException
    {
        Path path = segmentPath(directory, firstSequence);
        if (Files.exists(path))
        {
            // A previous writer started a segment here and wrote nothing whole into it.
            Files.delete(path);
        }
        segment = path;
        channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        final ByteBuffer h = segmentHeader.clear();
        for (int i = 0; i < SEGMENT_HEADER_BYTES; i++)
        {
            h.put(i, (byte)0);
        }
        final Instant now = Instant.now();
        h.putLong(0, SEGMENT_MAGIC);
        h.putInt(SEGMENT_VERSION_OFFSET, VERSION);
        h.putInt(SEGMENT_HEADER_BYTES_OFFSET, SEGMENT_HEADER_BYTES);
        h.putInt(SEGMENT_RECORD_BYTES_OFFSET, RECORD_BYTES);
        h.putLong(SEGMENT_CREATED_OFFSET, now.getEpochSecond() * 1_000_000_000L + now.getNano());
        h.putLong(SEGMENT_FIRST_SEQUENCE_OFFSET, firstSequence);
        crc.reset();
        crc.update(h.array(), 0, SEGMENT_CRC_OFFSET);
        h.putInt(SEGMENT_CRC_OFFSET, (int)crc.getValue());
        writeFully(h.position(0).limit(SEGMENT_HEADER_BYTES));
        segmentSize = SEGMENT_HEADER_BYTES;
    }

    @Override
    public void onEvent(final WriteEvent event) throws IOException
    {
        append(event.sequence(), event.timeNanos(), event.op(), event.offsetBytes(), event.lengthBytes(), event.lostCount());
    }

    /** Appends one record; sequence numbers must increase (a gap starts a new batch). */
    public void append(
        final long sequence,
        final long timeNanos,
        final WriteOp op,
        final long offsetBytes,
        final long lengthBytes,
        final long lostCount) throws IOException
    {
        if (closed)
        {
            throw new IOException("write log " + directory + " is closed");
        }
        if (count > 0 && sequence != batchFirstSequence + count)
        {
            flush();
        }
        if (count == 0)
        {
            batchFirstSequence = sequence;
        }
        final ByteBuffer b = batch;
        final int at = BATCH_HEADER_BYTES + count * RECORD_BYTES;
        b.putLong(at + RECORD_TIME_OFFSET, timeNanos);
        b.putLong(at + RECORD_OFFSET_OFFSET, offsetBytes);
        b.putLong(at + RECORD_LENGTH_OFFSET, lengthBytes);
        b.putInt(at + RECORD_OP_OFFSET, op.code());
        final int lost = op != WriteOp.LOST ? 1 :
            lostCount < 0 || lostCount >= 0xFFFF_FFFFL ? UNKNOWN_LOST_COUNT : (int)lostCount;
        b.putInt(at + RECORD_LOST_COUNT_OFFSET, lost);
        count++;
        lastTimeNanos = timeNanos;
        nextSequence = sequence + 1;
        if (count == options.batchRecords)
        {
            flush();
        }
    }

    /** Writes the pending batch (if any) to the segment; rotates the segment when it is full. */
    public void flush() throws IOException
    {
        if (count == 0)
        {
            return;
        }
        final ByteBuffer b = batch;
        final int bytes = BATCH_HEADER_BYTES + count * RECORD_BYTES;
        b.putInt(0, BATCH_MAGIC);
        b.putShort(BATCH_VERSION_OFFSET, (short)VERSION);
        b.putShort(BATCH_RECORD_BYTES_OFFSET, (short)RECORD_BYTES);
        b.putInt(BATCH_COUNT_OFFSET, count);
        b.putLong(BATCH_FIRST_SEQUENCE_OFFSET, batchFirstSequence);
        b.putLong(BATCH_LAST_TIME_OFFSET, lastTimeNanos);
        crc.reset();
        crc.update(b.limit(bytes).position(BATCH_CRC_FROM));
        b.putInt(BATCH_CRC_OFFSET, (int)crc.getValue());
        writeFully(b.limit(bytes).position(0));
        b.clear();
        segmentSize += bytes;
        recordsWritten += count;
        count = 0;
        if (segmentSize >= options.segmentBytes)
        {
            channel.close();
            startSegment(nextSequence);
            applyRetention();
        }
    }

    /** Flushes and forces the segment to stable storage. */
    public void sync() throws IOException
    {
        flush();
        channel.force(false);
    }

    private void writeFully(final ByteBuffer buffer) throws IOException
    {
        try
        {
            while (buffer.hasRemaining())
            {
                channel.write(buffer);
            }
        }
        catch (final IOException ex)
        {
            throw new IOException("write " + segment + " failed: " + ex.getMessage(), ex);
        }
    }

    /** Drops closed segments beyond the size and age limits, oldest first; returns how many. */
    int applyRetention() throws IOException
    {
        if (options.maxBytes == Long.MAX_VALUE && options.maxAgeNanos == Long.MAX_VALUE)
        {
            return 0;
        }
        final List<Path> closedSegments = new ArrayList<>(segments(directory).values());
        closedSegments.remove(segment);
        long total = segmentSize;
        for (final Path p : closedSegments)
        {
            total += Files.size(p);
        }
        final long nowMillis = System.currentTimeMillis();
        int dropped = 0;
        for (final Path p : closedSegments)
        {
            final long size = Files.size(p);
            final boolean tooBig = total > options.maxBytes;
            final long ageNanos = (nowMillis - Files.getLastModifiedTime(p).toMillis()) * 1_000_000L;
            final boolean tooOld = options.maxAgeNanos != Long.MAX_VALUE && ageNanos > options.maxAgeNanos;
            if (!tooBig && !tooOld)
            {
                break;
            }
            Files.delete(p);
            total -= size;
            dropped++;
        }
        segmentsDropped += dropped;
        return dropped;
    }

    /** The sequence number that follows the last record appended (or already in the log). */
    public long nextSequence()
    {
        return nextSequence;
    }

    public long recordsWritten()
    {
        return recordsWritten;
    }

    public long segmentsDropped()
    {
        return segmentsDropped;
    }

    public Path directory()
    {
        return directory;
    }

    /** Flushes, forces and closes; idempotent. */
    @Override
    public void close() throws IOException
    {
        if (closed)
        {
            return;
        }
        try
        {
            sync();
        }
        finally
        {
            closed = true;
            channel.close();
        }
    }
}
