package io.presync.stream;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.LockSupport;

import static io.presync.stream.PageCursor.HOST;

/**
 * One thread per CPU: blocking reads of whole pages from {@code per_cpu/cpuN/trace_pipe_raw} into
 * recycled page buffers, handed to the tap's consumer through a single-producer queue. Java cannot
 * open a file O_NONBLOCK, so each CPU gets its own thread; closing the channel wakes a blocked read.
 *
 * <p>A page that is far from full means the reader caught up with the writer: the thread then
 * sleeps {@code idleNanos} so that at low rates events are read in batches instead of one wake-up
 * (and one syscall) per event. The kernel buffer absorbs the events meanwhile.
 */
final class CpuReader implements Runnable
{
    /** A page buffer travelling between a reader and the consumer. */
    static final class Page
    {
        final ByteBuffer byteBuffer;
        /** The same memory for absolute reads by the consumer (its own position never moves). */
        final ByteBuffer buffer;
        final int cpu;
        int bytes;

        /** A page over {@code memory} (a slice of the reader's one direct block). */
        Page(final int cpu, final ByteBuffer memory)
        {
            this.cpu = cpu;
            byteBuffer = memory.order(HOST);
            buffer = byteBuffer.duplicate().order(HOST);
        }
    }

    /** An event is at most this big, so a page with more room than this left was not full. */
    private static final int NOT_FULL_SLACK_BYTES = 256;

    final int cpu;
    final SpscQueue<Page> free;
    final SpscQueue<Page> full;
    private final Path pipe;
    private final FileChannel channel;
    private final int pageBytes;
    private final int commitOffset;
    private final int dataBytes;
    private final long idleNanos;
    private volatile boolean stopping;
    private volatile IOException failure;
    volatile long pagesRead;

    CpuReader(
        final int cpu,
        final Path cpuDir,
        final int pageBytes,
        final int pagesInFlight,
        final RingBufferPageDescriptor.Layout layout,
        final long idleNanos) throws IOException
    {
        this.cpu = cpu;
        this.pipe = cpuDir.resolve("trace_pipe_raw");
        this.pageBytes = pageBytes;
        this.commitOffset = layout.commitOffset();
        this.dataBytes = pageBytes - layout.dataOffset();
        this.idleNanos = idleNanos;
        free = new SpscQueue<>(pagesInFlight);
        full = new SpscQueue<>(pagesInFlight);
        // One direct allocation sliced into the pages: a direct buffer each (256 per CPU) cost some 20 ms of the
        // tap's start-up per CPU, interpreted, and the tap must be running before the job can take its snapshot.
        final ByteBuffer block = ByteBuffer.allocateDirect(Math.multiplyExact(pageBytes, pagesInFlight));
        for (int i = 0; i < pagesInFlight; i++)
        {
            free.offer(new Page(cpu, block.slice(i * pageBytes, pageBytes)));
        }
        try
        {
            channel = FileChannel.open(pipe, StandardOpenOption.READ);
        }
        catch (final IOException ex)
        {
            throw new IOException("open " + pipe + " failed: " + ex.getMessage(), ex);
        }
    }

    @Override
    public void run()
    {
        final FileChannel channel = this.channel;
        Page page = null;
        try
        {
            while (!stopping)
            {
                if (page == null)
                {
                    page = free.poll();
                    if (page == null)
                    {
                        // The consumer is behind: let the kernel buffer take the load (and report overruns).
                        LockSupport.parkNanos(idleNanos);
                        continue;
                    }
                }
                final ByteBuffer bb = page.byteBuffer;
                bb.clear();
                final int n = channel.read(bb);
                if (n <= 0)
                {
                    // End of file: the instance is going away.
                    LockSupport.parkNanos(idleNanos);
                    continue;
                }
                page.bytes = n;
                final int commit = n >= commitOffset + 4 ? page.buffer.getInt(commitOffset) & (int)RingBufferPageDescriptor.COMMIT_MASK : 0;
                full.offer(page);
                page = null;
                pagesRead++;
                if (commit + NOT_FULL_SLACK_BYTES < dataBytes)
                {
                    LockSupport.parkNanos(idleNanos);
                }
            }
        }
        catch (final ClosedChannelException ex)
        {
            // close() wakes us this way.
        }
        catch (final IOException ex)
        {
            if (!stopping)
            {
                failure = new IOException("read " + pipe + " failed: " + ex.getMessage(), ex);
            }
        }
        // A page still held here is simply dropped: the free queue has one producer, the consumer.
    }

    /** A read failure that stopped this reader, or null. */
    IOException failure()
    {
        return failure;
    }

    int pageBytes()
    {
        return pageBytes;
    }

    /** Makes the thread leave its loop and wakes it from a blocked read by closing the channel. */
    void stop()
    {
        stopping = true;
        try
        {
            channel.close();
        }
        catch (final IOException ex)
        {
            // Closing a tracefs file does not fail in a way we could act on.
        }
    }
}
