package io.presync.stream;

import io.presync.ffi.Libc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.LockSupport;

import static io.presync.stream.PageCursor.HOST;

/**
 * Writes the markers of the tap's flush barriers: for barrier N, one thread visits every CPU in turn
 * ({@code sched_setaffinity} to that CPU alone) and writes a marker record through the instance's
 * {@code trace_marker_raw}. The kernel stores it in the ring buffer of the CPU the write runs on,
 * after every event already recorded there; so once the tap's consumer has walked each CPU's events
 * past a marker of round N or later, every event recorded anywhere before the barrier was requested
 * has been handed out (see {@link BlockTap#requestBarrier()}). The consumer never waits for an empty
 * buffer, only for its reading to pass the marker, so a steady writer does not starve a barrier.
 *
 * <pre>
 * Marker: an ftrace raw_data event (events/ftrace/raw_data/format gives its ID and offsets), host byte order:
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+-------------------------------+
 *  |   common_type = raw_data ID   |  common flags, preempt count  |
 *  +-------------------------------+-------------------------------+
 *  |                           common_pid                          |
 *  +---------------------------------------------------------------+
 *  |            id (u32) = MARKER_TAG ("PSYB" read as bytes)        |   the first 4 bytes written
 *  +---------------------------------------------------------------+
 *  |            barrier number (u64), the next 8 bytes written      |
 *  |                                                                |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * Threads: {@link #request()} and the decoding methods from the tap's consumer; the marker thread
 * writes. A failure (a CPU that refuses the affinity, a refused write) stops the barriers for good
 * and says why in {@link #failure()}; the tap never waits on a barrier itself.
 */
final class FlushBarrier implements Runnable, AutoCloseable
{
    /** "PSYB" in memory order on a little-endian host: tells our markers from anyone else's raw writes. */
    static final int MARKER_TAG = 0x42595350;
    static final int MARKER_BYTES = 12;

    private final Path markerFile;
    private final FileChannel marker;
    private final int[] cpus;
    private final ByteBuffer record = ByteBuffer.allocateDirect(MARKER_BYTES).order(HOST);
    private final Thread thread;
    private final Decoder decoder;

    private volatile long requested;
    private volatile long written;
    private volatile String failure;
    private volatile boolean closing;

    private FlushBarrier(final Path markerFile, final FileChannel marker, final int[] cpus, final EventFormat rawData)
        throws IOException
    {
        this.markerFile = markerFile;
        this.marker = marker;
        this.cpus = cpus;
        decoder = new Decoder(rawData);
        thread = Thread.ofPlatform().daemon().name("presync-tap-barrier").unstarted(this);
    }

    /**
     * Opens the marker file of {@code instance} and starts the marker thread for {@code cpus}; throws
     * {@link TapUnavailableException} naming what is missing when this kernel cannot do it.
     */
    static FlushBarrier open(final Path instance, final Path tracefsRoot, final int[] cpus) throws IOException
    {
        final Path markerFile = instance.resolve("trace_marker_raw");
        Path format = instance.resolve("events/ftrace/raw_data/format");
        if (!Files.exists(format))
        {
            format = tracefsRoot.resolve("events/ftrace/raw_data/format");
        }
        if (!Files.exists(markerFile) || !Files.exists(format))
        {
            throw new TapUnavailableException("this kernel has no " + markerFile.getFileName() + " or ftrace/raw_data event");
        }
        final EventFormat rawData = EventFormat.read(format);
        if (!rawData.hasField("id") || !rawData.hasField("buf"))
        {
            throw new TapUnavailableException(format + " has no 'id' and 'buf' fields");
        }
        final FileChannel channel;
        try
        {
            channel = FileChannel.open(markerFile, StandardOpenOption.WRITE);
        }
        catch (final IOException ex)
        {
            throw new TapUnavailableException("open " + markerFile + " failed: " + ex.getMessage());
        }
        final FlushBarrier barrier;
        try
        {
            barrier = new FlushBarrier(markerFile, channel, cpus, rawData);
        }
        catch (final IOException | RuntimeException ex)
        {
            channel.close();
            throw ex;
        }
        barrier.thread.start();
        return barrier;
    }

    /** Starts round {@code requested + 1} and returns its number. Consumer thread only. */
    long request()
    {
        final long n = requested + 1;
        requested = n;
        LockSupport.unpark(thread);
        return n;
    }

    /** Why barriers stopped working, or null. */
    String failure()
    {
        return failure;
    }

    /** See {@link Decoder#markerAt}. */
    long markerAt(final ByteBuffer page, final int offset, final int bytes)
    {
        return decoder.markerAt(page, offset, bytes);
    }

    /** Recognises our markers among a page's events, with offsets from the raw_data format. */
    static final class Decoder
    {
        private final int typeOffset;
        private final int rawDataId;
        private final int idOffset;
        private final int bufOffset;

        Decoder(final EventFormat rawData) throws IOException
        {
            typeOffset = rawData.field("common_type").offset();
            rawDataId = rawData.id();
            idOffset = rawData.field("id").offset();
            bufOffset = rawData.field("buf").offset();
        }

        /**
         * The barrier number of the marker at {@code offset} of {@code page} ({@code bytes} of payload), or 0
         * when the event is not one of our markers. Allocates nothing.
         */
        long markerAt(final ByteBuffer page, final int offset, final int bytes)
        {
            if (bytes < bufOffset + 8 || (page.getShort(offset + typeOffset) & 0xFFFF) != rawDataId ||
                page.getInt(offset + idOffset) != MARKER_TAG)
            {
                return 0;
            }
            return page.getLong(offset + bufOffset);
        }
    }

    @Override
    public void run()
    {
        try
        {
            while (!closing)
            {
                final long round = requested;
                if (round == written)
                {
                    LockSupport.park(this);
                    continue;
                }
                for (final int cpu : cpus)
                {
                    Libc.pinCurrentThread(cpu);
                    final int on = Libc.currentCpu();
                    if (on != cpu)
                    {
                        throw new IOException("sched_setaffinity to cpu " + cpu + " left the marker thread on cpu " + on);
                    }
                    write(round);
                }
                written = round;
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            if (!closing)
            {
                failure = "the tap's flush barrier failed (" + ex.getMessage() + ")";
            }
        }
    }

    private void write(final long round) throws IOException
    {
        final ByteBuffer r = record.clear();
        r.putInt(0, MARKER_TAG).putLong(4, round);
        final int n;
        try
        {
            n = marker.write(r);
        }
        catch (final IOException ex)
        {
            throw new IOException("write " + markerFile + " failed: " + ex.getMessage(), ex);
        }
        if (n != MARKER_BYTES)
        {
            throw new IOException("write " + markerFile + " wrote " + n + " of " + MARKER_BYTES + " bytes");
        }
    }

    /** Stops the marker thread and closes the marker file (it keeps the instance busy). Idempotent. */
    @Override
    public void close()
    {
        closing = true;
        LockSupport.unpark(thread);
        try
        {
            thread.join(5000);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        try
        {
            marker.close();
        }
        catch (final IOException ex)
        {
            // Closing a tracefs file does not fail in a way we could act on.
        }
    }
}
