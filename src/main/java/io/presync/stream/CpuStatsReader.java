package io.presync.stream;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads one CPU's {@code per_cpu/cpuN/stats} through a file kept open (tracefs regenerates the text
 * on every read at offset 0) into a reused buffer, so the tap's periodic loss check allocates
 * nothing. Counters: {@code entries} (not yet read) and lost = {@code overrun} + {@code commit
 * overrun} + {@code dropped events}.
 */
final class CpuStatsReader implements AutoCloseable
{
    private static final byte[] ENTRIES = "entries:".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] OVERRUN = "overrun:".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] COMMIT_OVERRUN = "commit overrun:".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] DROPPED = "dropped events:".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private final Path file;
    private final FileChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocate(4096);
    long entries;
    long lost;

    CpuStatsReader(final Path cpuDir) throws IOException
    {
        file = cpuDir.resolve("stats");
        channel = FileChannel.open(file, StandardOpenOption.READ);
    }

    /** Re-reads the counters. */
    void read() throws IOException
    {
        final ByteBuffer b = buffer.clear();
        try
        {
            long position = 0;
            int n;
            while (b.hasRemaining() && (n = channel.read(b, position)) > 0)
            {
                position += n;
            }
        }
        catch (final IOException ex)
        {
            throw new IOException("read " + file + " failed: " + ex.getMessage(), ex);
        }
        final byte[] text = b.array();
        final int length = b.position();
        entries = 0;
        lost = 0;
        int lineStart = 0;
        while (lineStart < length)
        {
            int lineEnd = lineStart;
            while (lineEnd < length && text[lineEnd] != '\n')
            {
                lineEnd++;
            }
            if (startsWith(text, lineStart, lineEnd, ENTRIES))
            {
                entries = number(text, lineStart + ENTRIES.length, lineEnd);
            }
            else if (startsWith(text, lineStart, lineEnd, OVERRUN))
            {
                lost += number(text, lineStart + OVERRUN.length, lineEnd);
            }
            else if (startsWith(text, lineStart, lineEnd, COMMIT_OVERRUN))
            {
                lost += number(text, lineStart + COMMIT_OVERRUN.length, lineEnd);
            }
            else if (startsWith(text, lineStart, lineEnd, DROPPED))
            {
                lost += number(text, lineStart + DROPPED.length, lineEnd);
            }
            lineStart = lineEnd + 1;
        }
    }

    private static boolean startsWith(final byte[] text, final int from, final int to, final byte[] prefix)
    {
        if (to - from < prefix.length)
        {
            return false;
        }
        for (int i = 0; i < prefix.length; i++)
        {
            if (text[from + i] != prefix[i])
            {
                return false;
            }
        }
        return true;
    }

    private static long number(final byte[] text, final int from, final int to)
    {
        long value = 0;
        for (int i = from; i < to; i++)
        {
            final byte c = text[i];
            if (c >= '0' && c <= '9')
            {
                value = value * 10 + (c - '0');
            }
            else if (c != ' ' && c != '\t')
            {
                break;
            }
        }
        return value;
    }

    @Override
    public void close() throws IOException
    {
        channel.close();
    }
}
