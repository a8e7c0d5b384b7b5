package io.presync.device;

import io.presync.RefusedException;
import io.presync.ffi.Errno;
import io.presync.ffi.Libc;
import io.presync.uring.CompletionHandler;
import io.presync.uring.Ring;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Copies byte ranges from one {@link BlockDevice} to another through one io_uring {@link Ring}: the
 * seed of the replication pipeline ({@code presync copy} uses it for whole devices).
 * <p>
 * {@code queueDepth} buffers of {@code chunkBytes} each, page aligned, are registered with the ring
 * (READ_FIXED/WRITE_FIXED) and both descriptors are registered files. Each buffer is a slot that
 * cycles read → write → read of the next chunk, so up to {@code queueDepth} chunks are in flight and
 * reads and writes overlap:
 * <pre>
 *   slot i:  READ_FIXED(src, off)  ──►  WRITE_FIXED(dst, off)  ──►  READ_FIXED(src, next off) ...
 *   user_data = slot &lt;&lt; 1 | (1 when the completion is a write)
 * </pre>
 * Setup validates, allocates and registers once; {@link #copy} allocates nothing per chunk (slot
 * state lives in primitive arrays, completions come through one handler object). Not thread safe:
 * one copy at a time, on the thread that created it and that closes it (its ring is single-issuer).
 * {@link #copy} does not flush; call {@link BlockDevice#flush()} on the destination when done.
 */
public final class DeviceCopy implements AutoCloseable
{
    /**
     * Receives progress from long work ({@link #copy}, the pool's verify and export): bytes done of the total, about
     * every {@link #INTERVAL_NANOS} and once at the end.
     */
    @FunctionalInterface
    public interface Progress
    {
        /** How often the work tells its progress: often enough for a terminal line, rarely enough to cost nothing. */
        long INTERVAL_NANOS = 250_000_000L;

        void onProgress(long copiedBytes, long totalBytes);
    }

    public static final int DEFAULT_QUEUE_DEPTH = 4;
    public static final int DEFAULT_CHUNK_BYTES = 8 << 20;
    public static final int MAX_QUEUE_DEPTH = 4096;
    /** Registered buffers are pinned memory: cap their total. */
    public static final long MAX_BUFFER_BYTES = 1L << 30;

    /** One thread creates, drives and closes the copy's ring. */
    private static final int RING_OPTIONS = Ring.OPTION_SINGLE_ISSUER | Ring.OPTION_DEFER_TASKRUN;
    static final int SOURCE_FILE = 0;
    static final int DESTINATION_FILE = 1;

    private final BlockDevice source;
    private final BlockDevice destination;
    private final int queueDepth;
    private final int chunkBytes;
    private final Arena arena;
    private final Ring ring;
    private final MemorySegment[] buffers;
    private final long[] slotOffset;
    private final int[] slotLength;
    private final int[] slotDone;
    private final Completions completions = new Completions();

    private long nextOffset;
    private long endOffset;
    private long copiedBytes;
    private int inFlight;
    private long failedUserData;
    private int failedResult;
    private IOException parked;
    private boolean closed;

    private DeviceCopy(final BlockDevice source, final BlockDevice destination, final int queueDepth,
        final int chunkBytes) throws IOException
    {
        this.source = source;
        this.destination = destination;
        this.queueDepth = queueDepth;
        this.chunkBytes = chunkBytes;
        this.arena = Arena.ofShared();
        Ring created = null;
        try
        {
            // Slots start 4 KiB aligned (O_DIRECT) in one anonymous mapping, unmapped when the arena closes: the
            // kernel hands out its zero pages when the ring pins them, with no memset from Java.
            final long slotBytes = (chunkBytes + Ring.BUFFER_ALIGNMENT_BYTES - 1) & -(long)Ring.BUFFER_ALIGNMENT_BYTES;
            buffers = Ring.allocateBuffers(arena, queueDepth, slotBytes);
            for (int i = 0; i < queueDepth; i++)
            {
                buffers[i] = buffers[i].asSlice(0, chunkBytes);
            }
            slotOffset = new long[queueDepth];
            slotLength = new int[queueDepth];
            slotDone = new int[queueDepth];
            // One thread creates, drives and closes the copy: the ring can skip the kernel's
            // multi-submitter locking and run completion work only when we wait for it.
            created = Ring.create(queueDepth, RING_OPTIONS);
            created.registerBuffers(buffers);
            created.registerFiles(new int[] {source.fd(), destination.fd()});
            ring = created;
        }
        catch (final IOException | RuntimeException ex)
        {
            if (created != null)
            {
                created.close();
            }
            arena.close();
            throw ex;
        }
    }

    /**
     * Prepares a copy engine between two open devices.
     *
     * @throws RefusedException when the queue depth or chunk size is unusable (one sentence with the fix).
     */
    public static DeviceCopy create(final BlockDevice source, final BlockDevice destination, final int queueDepth,
        final long chunkBytes) throws IOException
    {
        if (queueDepth < 1 || queueDepth > MAX_QUEUE_DEPTH)
        {
            throw new RefusedException("queue depth " + queueDepth + " is not valid; use 1 to " + MAX_QUEUE_DEPTH +
                " (default " + DEFAULT_QUEUE_DEPTH + ")");
        }
        final int sector = Math.max(source.logicalSectorBytes(), destination.logicalSectorBytes());
        if (chunkBytes <= 0 || chunkBytes % sector != 0 || chunkBytes > Integer.MAX_VALUE / 2)
        {
            throw new RefusedException("chunk size " + chunkBytes + " is not a positive multiple of the " + sector +
                "-byte sector size of " + (source.logicalSectorBytes() >= destination.logicalSectorBytes() ?
                source : destination) + "; use for example 1M");
        }
        if (chunkBytes * queueDepth > MAX_BUFFER_BYTES)
        {
            throw new RefusedException("queue depth " + queueDepth + " times chunk size " + chunkBytes + " needs more than " +
                (MAX_BUFFER_BYTES >> 20) + " MiB of pinned buffers; lower one of them");
        }
        if (source == destination)
        {
            throw new RefusedException("source and destination are the same device; choose two devices");
        }
        if (destination.isReadOnly())
        {
            throw new IllegalArgumentException(destination + " was opened read-only; open it for writing");
        }
        return new DeviceCopy(source, destination, queueDepth, (int)chunkBytes);
    }

    /**
     * Links every native call a copy makes (the libc system calls of opening devices and mapping
     * buffers, the ring's liburing calls) without doing any of them: {@code presync copy} runs this on
     * a second thread from its first instruction, so that the tens of milliseconds the JDK takes to
     * spin up downcall handles overlap the JVM's and picocli's start-up instead of following them.
     */
    public static void linkNativeCalls()
    {
        Libc.link();
        Ring.linkNativeCalls(RING_OPTIONS);
    }

    public int queueDepth()
    {
        return queueDepth;
    }

    public int chunkBytes()
    {
        return chunkBytes;
    }

    /** Copies the whole source onto the start of the destination; returns the bytes copied. */
    public long copyAll(final Progress progress) throws IOException
    {
        if (destination.sizeBytes() < source.sizeBytes())
        {
            throw new RefusedException(destination + " (" + destination.sizeBytes() + " bytes) is smaller than " +
                source + " (" + source.sizeBytes() + " bytes); choose a destination at least as large");
        }
        copy(0, source.sizeBytes(), progress);
        return source.sizeBytes();
    }

    /**
     * Copies {@code [offsetBytes, offsetBytes + lengthBytes)} from the source to the same offsets of
     * the destination. Offset and length must be multiples of both devices' logical sector sizes.
     */
    public void copy(final long offsetBytes, final long lengthBytes, final Progress progress) throws IOException
    {
        if (closed)
        {
            throw new IllegalStateException("this DeviceCopy is closed");
        }
        source.checkRange("copy", offsetBytes, lengthBytes);
        destination.checkRange("copy", offsetBytes, lengthBytes);
        nextOffset = offsetBytes;
        endOffset = offsetBytes + lengthBytes;
        copiedBytes = 0;
        inFlight = 0;
        failedUserData = -1;
        failedResult = 0;
        parked = null;

        final Ring ring = this.ring;
        for (int slot = 0; slot < queueDepth && nextOffset < endOffset; slot++)
        {
            startRead(slot);
        }
        long lastProgress = System.nanoTime();
        while (inFlight > 0)
        {
            ring.submitAndWait(1);
            ring.reap(completions, queueDepth);
            if (progress != null)
            {
                final long now = System.nanoTime();
                if (now - lastProgress >= Progress.INTERVAL_NANOS)
                {
                    lastProgress = now;
                    progress.onProgress(copiedBytes, lengthBytes);
                }
            }
        }
        if (parked != null)
        {
            throw parked;
        }
        if (failedUserData >= 0)
        {
            throw failure();
        }
        if (progress != null)
        {
            progress.onProgress(copiedBytes, lengthBytes);
        }
    }

    private void startRead(final int slot) throws IOException
    {
        final long offset = nextOffset;
        final int length = (int)Math.min(chunkBytes, endOffset - offset);
        nextOffset = offset + length;
        slotOffset[slot] = offset;
        slotLength[slot] = length;
        slotDone[slot] = 0;
        inFlight++;
        while (!ring.prepareReadFixed(SOURCE_FILE, true, buffers[slot], length, offset, slot, (long)slot << 1))
        {
            ring.submit();
        }
    }

    private void startWrite(final int slot) throws IOException
    {
        slotDone[slot] = 0;
        while (!ring.prepareWriteFixed(DESTINATION_FILE, true, buffers[slot], slotLength[slot], slotOffset[slot], slot,
            ((long)slot << 1) | 1))
        {
            ring.submit();
        }
    }

    private void onCompletion(final long userData, final int result) throws IOException
    {
        final int slot = (int)(userData >>> 1);
        final boolean write = (userData & 1) != 0;
        if (result <= 0 || failedUserData >= 0)
        {
            inFlight--;
            if (failedUserData < 0)
            {
                failedUserData = userData;
                failedResult = result;
            }
            return;
        }
        final int done = slotDone[slot] + result;
        if (done < slotLength[slot])
        {
            resubmitRest(slot, write, done);
            return;
        }
        if (!write)
        {
            startWrite(slot);
            return;
        }
        copiedBytes += slotLength[slot];
        inFlight--;
        if (nextOffset < endOffset)
        {
            startRead(slot);
        }
    }

    /** A short read or write (rare on block devices): continue where it stopped, same slot. */
    private void resubmitRest(final int slot, final boolean write, final int done) throws IOException
    {
        slotDone[slot] = done;
        final MemorySegment rest = buffers[slot].asSlice(done);
        final int length = slotLength[slot] - done;
        final long offset = slotOffset[slot] + done;
        final long userData = ((long)slot << 1) | (write ? 1 : 0);
        while (!(write ?
            ring.prepareWriteFixed(DESTINATION_FILE, true, rest, length, offset, slot, userData) :
            ring.prepareReadFixed(SOURCE_FILE, true, rest, length, offset, slot, userData)))
        {
            ring.submit();
        }
    }

    private IOException failure()
    {
        final int slot = (int)(failedUserData >>> 1);
        final boolean write = (failedUserData & 1) != 0;
        final long offset = slotOffset[slot] + slotDone[slot];
        final String path = (write ? destination : source).toString();
        if (failedResult == 0)
        {
            return new IOException(path + ": " + (write ? "write" : "read") + " at offset " + offset +
                " transferred nothing (the device ended early?)");
        }
        return Errno.exception((write ? "write" : "read") + " at offset " + offset, path, -failedResult);
    }

    /** Frees the ring and the buffers; idempotent. Never call while {@link #copy} runs. */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            ring.close();
            arena.close();
        }
    }

    /** The one completion handler, allocated once; checked exceptions are parked and rethrown. */
    private final class Completions implements CompletionHandler
    {
        @Override
        public void onCompletion(final long userData, final int result, final int flags)
        {
            try
            {
                DeviceCopy.this.onCompletion(userData, result);
            }
            catch (final IOException ex)
            {
                // submit() failed while queueing the slot's next operation: it has nothing in flight.
                if (parked == null)
                {
                    parked = ex;
                }
                if (failedUserData < 0)
                {
                    failedUserData = userData;
                    failedResult = -Errno.EIO;
                }
                inFlight--;
            }
        }
    }
}
