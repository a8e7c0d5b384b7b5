package io.presync.stream;

import io.presync.RefusedException;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

import static io.presync.stream.WriteLogDescriptor.*;

/**
 * Replays a write log (a log directory or one segment file) in sequence order. A segment cut off by
 * a crash is read up to its last whole batch and the cut is reported in the {@link Result}; a batch
 * that fails its CRC32C with valid data after it is corruption and throws
 * {@link WriteLogCorruptException}.
 */
public final class WriteLogReader
{
    /**
     * What a replay found.
     *
     * @param records      records handed to the handler
     * @param batches      whole batches read
     * @param segments     segment files read
     * @param cutBytes     bytes at segment ends that did not form a whole batch (0 when none)
     * @param cutRecords   records those partial batches claimed, or -1 when their header was cut too
     * @param cutSegments  the segments that had a cut tail
     */
    public record Result(long records, long batches, int segments, long cutBytes, long cutRecords, List<Path> cutSegments)
    {
        public boolean wasCut()
        {
            return cutBytes > 0;
        }
    }

    private WriteLogReader()
    {
    }

    /** Replays every record of the log at {@code path} (directory or segment) to {@code handler}. */
    public static Result replay(final Path path, final WriteEventHandler handler) throws IOException
    {
        if (!Files.exists(path))
        {
            throw new RefusedException(path + " does not exist; give a write-log directory or a .wlog segment.");
        }
        final List<Path> segments = Files.isDirectory(path) ?
            new ArrayList<>(WriteLog.segments(path).values()) : List.of(path);
        long records = 0;
        long batches = 0;
        long cutBytes = 0;
        long cutRecords = 0;
        final List<Path> cut = new ArrayList<>();
        for (final Path segment : segments)
        {
            final Result r = replaySegment(segment, handler);
            records += r.records();
            batches += r.batches();
            if (r.wasCut())
            {
                cutBytes += r.cutBytes();
                cutRecords = cutRecords < 0 || r.cutRecords() < 0 ? -1 : cutRecords + r.cutRecords();
                cut.add(segment);
            }
        }
        return new Result(records, batches, segments.size(), cutBytes, cutRecords, List.copyOf(cut));
    }

    static Result replaySegment(final Path segment, final WriteEventHandler handler) throws IOException
    {
        final WriteEvent event = new WriteEvent();
        final CRC32C crc = new CRC32C();
        final ByteBuffer header = ByteBuffer.allocate(SEGMENT_HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer batch = ByteBuffer.allocate(BATCH_HEADER_BYTES + 1024 * RECORD_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        long records = 0;
        long batches = 0;
        try (FileChannel channel = FileChannel.open(segment, StandardOpenOption.READ))
        {
            final long size = channel.size();
            if (size < SEGMENT_HEADER_BYTES)
            {
                // A writer that died before its header reached the disk.
                return new Result(0, 0, 1, size, size == 0 ? 0 : -1, List.of(segment));
            }
            readFully(channel, header, 0, segment);
            crc.update(header.array(), 0, SEGMENT_CRC_OFFSET);
            if (header.getLong(0) != SEGMENT_MAGIC || header.getInt(SEGMENT_CRC_OFFSET) != (int)crc.getValue())
            {
                throw new RefusedException(segment + " is not a presync write-log segment (bad magic or header CRC); " +
                    "give a log written by 'presync tap'.");
            }
            if (header.getInt(SEGMENT_VERSION_OFFSET) != VERSION || header.getInt(SEGMENT_RECORD_BYTES_OFFSET) != RECORD_BYTES)
            {
                throw new RefusedException(segment + " has write-log version " + header.getInt(SEGMENT_VERSION_OFFSET) +
                    ", which this presync cannot read; use the presync version that wrote it.");
            }
            long position = header.getInt(SEGMENT_HEADER_BYTES_OFFSET);
            while (position < size)
            {
                final long remaining = size - position;
                if (remaining < BATCH_HEADER_BYTES)
                {
                    return cutResult(records, batches, segment, remaining, -1);
                }
                batch.clear().limit(BATCH_HEADER_BYTES);
                readFully(channel, batch, position, segment);
                final int magic = batch.getInt(0);
                final int count = batch.getInt(BATCH_COUNT_OFFSET);
                if (magic != BATCH_MAGIC || count <= 0 || count > MAX_BATCH_RECORDS ||
                    (batch.getShort(BATCH_RECORD_BYTES_OFFSET) & 0xFFFF) != RECORD_BYTES)
                {
                    if (allZero(channel, position, size))
                    {
                        return cutResult(records, batches, segment, remaining, -1);
                    }
                    throw new WriteLogCorruptException(segment + ": no valid batch header at byte " + position +
                        "; the log is corrupt from there on.");
                }
                final int bytes = BATCH_HEADER_BYTES + count * RECORD_BYTES;
                if (remaining < bytes)
                {
                    return cutResult(records, batches, segment, remaining, count);
                }
                if (batch.capacity() < bytes)
                {
                    batch = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
                    batch.limit(BATCH_HEADER_BYTES);
                    readFully(channel, batch, position, segment);
                }
                batch.limit(bytes).position(BATCH_HEADER_BYTES);
                readFully(channel, batch, position + BATCH_HEADER_BYTES, segment);
                crc.reset();
                crc.update(batch.array(), BATCH_CRC_FROM, bytes - BATCH_CRC_FROM);
                if (batch.getInt(BATCH_CRC_OFFSET) != (int)crc.getValue())
                {
                    if (position + bytes == size)
                    {
                        // The last batch, torn by a crash mid-write.
                        return cutResult(records, batches, segment, remaining, count);
                    }
                    throw new WriteLogCorruptException(segment + ": the batch at byte " + position + " (" + count +
                        " records) fails its CRC32C check; the log is corrupt there.");
                }
                final long firstSequence = batch.getLong(BATCH_FIRST_SEQUENCE_OFFSET);
                for (int i = 0; i < count; i++)
                {
                    final int at = BATCH_HEADER_BYTES + i * RECORD_BYTES;
                    final int code = batch.get(at + RECORD_OP_OFFSET) & 0xFF;
                    final WriteOp op = WriteOp.ofCode(code);
                    if (op == null)
                    {
                        throw new WriteLogCorruptException(segment + ": record " + (firstSequence + i) +
                            " has unknown op code " + code + " although its batch CRC matches.");
                    }
                    final int lost = batch.getInt(at + RECORD_LOST_COUNT_OFFSET);
                    event.set(firstSequence + i, batch.getLong(at + RECORD_TIME_OFFSET), op,
                        batch.getLong(at + RECORD_OFFSET_OFFSET), batch.getLong(at + RECORD_LENGTH_OFFSET),
                        lost == UNKNOWN_LOST_COUNT ? WriteEvent.UNKNOWN_COUNT : lost & 0xFFFF_FFFFL);
                    handler.onEvent(event);
                }
                records += count;
                batches++;
                position += bytes;
            }
        }
        return new Result(records, batches, 1, 0, 0, List.of());
    }

    private static Result cutResult(
        final long records,
        final long batches,
        final Path segment,
        final long cutBytes,
        final long cutRecords)
    {
        return new Result(records, batches, 1, cutBytes, cutRecords, List.of(segment));
    }

    private static boolean allZero(final FileChannel channel, final long from, final long size) throws IOException
    {
        final ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        long position = from;
        while (position < size)
        {
            buffer.clear();
            final int n = channel.read(buffer, position);
            if (n <= 0)
            {
                break;
            }
            for (int i = 0; i < n; i++)
            {
                if (buffer.get(i) != 0)
                {
                    return false;
                }
            }
            position += n;
        }
        return true;
    }

    private static void readFully(final FileChannel channel, final ByteBuffer buffer, final long position, final Path path)
        throws IOException
    {
        long at = position;
        while (buffer.hasRemaining())
        {
            final int n = channel.read(buffer, at);
            if (n < 0)
            {
                throw new EOFException("read " + path + " at byte " + at + " failed: end of file");
            }
            at += n;
        }
    }
}
