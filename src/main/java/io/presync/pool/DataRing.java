package io.presync.pool;

import io.presync.ffi.Errno;
import io.presync.uring.CompletionHandler;
import io.presync.uring.Ring;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * The data path's io_uring: reads and writes of the pool device (its O_DIRECT descriptor) with
 * up to {@link #MAX_OPS} operations in flight, grouped into <em>requests</em>. A request is what a
 * caller of {@link Partition} asked for (one logical write, say) and may take several operations when
 * the data space crosses segments; its {@code userData} goes to the {@link WriteCompletionHandler}
 * once all of them are done.
 * <pre>
 *   begin(userData) ──► add(op) ... add(op) ──► end()      operations prepared, submitted in batches
 *   reap: op done ──► request pending - 1 ──► 0 and ended ──► handler.onWriteCompleted(userData)
 *   user_data of an SQE = operation index (a slot of the primitive arrays below)
 * </pre>
 * Operations on overlapping device ranges never run at once: {@link #add} first waits for any
 * overlapping operation in flight, so writes to the same bytes land in submission order.
 * Allocates nothing per operation (primitive arrays, one completion handler object); a short transfer
 * is continued in place. The first failure is kept and thrown by the next call that waits.
 * Not thread-safe: one thread, like the {@link Ring}.
 */
final class DataRing implements AutoCloseable
{
    /** Operations in flight at most (the queue depth the device sees). */
    static final int MAX_OPS = 64;
    static final long NO_USER_DATA = Long.MIN_VALUE;
    private static final int MAX_REQUESTS = MAX_OPS;
    /** Prepared operations that are submitted without waiting for the caller's next poll. */
    private static final int SUBMIT_BATCH = 8;

    private final Ring ring;
    private final int fd;
    private final Path path;
    private final long[] opDevice = new long[MAX_OPS];
    private final int[] opLength = new int[MAX_OPS];
    private final int[] opDone = new int[MAX_OPS];
    private final MemorySegment[] opBuffer = new MemorySegment[MAX_OPS];
    private final int[] opBufferIndex = new int[MAX_OPS];
    private final int[] opRequest = new int[MAX_OPS];
    private final boolean[] opWrite = new boolean[MAX_OPS];
    private final boolean[] opBusy = new boolean[MAX_OPS];
    private final int[] freeOps = new int[MAX_OPS];
    private int freeOpCount;
    private int opsInFlight;
    private int prepared;

    private final long[] requestUserData = new long[MAX_REQUESTS];
    private final int[] requestPending = new int[MAX_REQUESTS];
    private final boolean[] requestOpen = new boolean[MAX_REQUESTS];
    private final int[] freeRequests = new int[MAX_REQUESTS];
    private int freeRequestCount;

    private final Completions completions = new Completions();
    private WriteCompletionHandler handler;
    private IOException failure;
    private long completedRequests;
    private boolean buffersRegistered;
    private boolean closed;

    private DataRing(final Ring ring, final int fd, final Path path)
    {
        this.ring = ring;
        this.fd = fd;
        this.path = path;
        for (int i = 0; i < MAX_OPS; i++)
        {
            freeOps[i] = MAX_OPS - 1 - i;
        }
        freeOpCount = MAX_OPS;
        for (int i = 0; i < MAX_REQUESTS; i++)
        {
            freeRequests[i] = MAX_REQUESTS - 1 - i;
        }
        freeRequestCount = MAX_REQUESTS;
    }

    /** A ring over {@code fd}, or null when io_uring is unavailable here (the caller stays synchronous). */
    static DataRing open(final int fd, final Path path) throws IOException
    {
        if (fd < 0 || Ring.unavailableReason() != null)
        {
            return null;
        }
        // The descriptor is not a registered file: the ring's teardown is asynchronous in the kernel and a
        // registered file would stay referenced for a moment after close, so reopening the pool device
        // with O_EXCL right after (open, close, open) could fail with EBUSY.
        return new DataRing(Ring.create(2 * MAX_OPS), fd, path);
    }

    /** Replaces the registered buffers (none: an empty array). */
    void registerBuffers(final MemorySegment[] buffers) throws IOException
    {
        drain();
        if (buffersRegistered)
        {
            ring.unregisterBuffers();
            buffersRegistered = false;
        }
        if (buffers.length > 0)
        {
            ring.registerBuffers(buffers);
            buffersRegistered = true;
        }
    }

    void handler(final WriteCompletionHandler handler)
    {
        this.handler = handler;
    }

    int opsInFlight()
    {
        return opsInFlight;
    }

    long completedRequests()
    {
        return completedRequests;
    }

    /** Opens a request whose completion reports {@code userData} ({@link #NO_USER_DATA}: nobody is told). */
    int begin(final long userData) throws IOException
    {
        while (freeRequestCount == 0)
        {
            awaitOne();
        }
        final int request = freeRequests[--freeRequestCount];
        requestUserData[request] = userData;
        requestPending[request] = 0;
        requestOpen[request] = true;
        return request;
    }

    /**
     * Adds a transfer of {@code length} bytes of {@code buffer} from {@code offsetInBuffer} at device
     * offset {@code deviceOffset} to {@code request}. {@code bufferIndex} is the registered buffer that
     * holds {@code buffer}, or -1.
     */
    void add(final int request, final boolean write, final long deviceOffset, final MemorySegment buffer,
        final long offsetInBuffer, final int length, final int bufferIndex) throws IOException
    {
        throwFailure();
        waitForOverlap(deviceOffset, length);
        while (freeOpCount == 0)
        {
            awaitOne();
        }
        final int op = freeOps[--freeOpCount];
        opDevice[op] = deviceOffset;
        opLength[op] = length;
        opDone[op] = 0;
        opBuffer[op] = offsetInBuffer == 0 && buffer.byteSize() == length ? buffer : buffer.asSlice(offsetInBuffer, length);
        opBufferIndex[op] = bufferIndex;
        opRequest[op] = request;
        opWrite[op] = write;
        opBusy[op] = true;
        opsInFlight++;
        requestPending[request]++;
        prepare(op);
        if (prepared >= SUBMIT_BATCH)
        {
            submit();
        }
    }

    /** Drops the notification of {@code request}: its operations (if any) complete silently. */
    void forget(final int request)
    {
        requestUserData[request] = NO_USER_DATA;
    }

    /**
     * Closes {@code request}: its completion may be reported from now on. Its operations are submitted
     * with the next batch: at once when {@link #SUBMIT_BATCH} are prepared, else by the next
     * {@link #poll}, {@link #awaitOne} or {@link #drain} (one io_uring_enter for many small writes).
     */
    void end(final int request) throws IOException
    {
        requestOpen[request] = false;
        if (requestPending[request] == 0)
        {
            complete(request);
        }
        if (prepared >= SUBMIT_BATCH)
        {
            submit();
        }
    }

    /** Reaps what has completed without waiting; returns the operations reaped. */
    int poll() throws IOException
    {
        submit();
        final int n = ring.reap(completions, MAX_OPS);
        if (prepared > 0)
        {
            submit();
        }
        throwFailure();
        return n;
    }

    /** Waits for at least one completion (when anything is in flight) and reaps. */
    void awaitOne() throws IOException
    {
        if (opsInFlight == 0)
        {
            throwFailure();
            return;
        }
        prepared = 0;
        ring.submitAndWait(1);
        ring.reap(completions, MAX_OPS);
        if (prepared > 0)
        {
            submit();
        }
        throwFailure();
    }

    /** Waits until nothing is in flight; throws the first failure. */
    void drain() throws IOException
    {
        while (opsInFlight > 0)
        {
            prepared = 0;
            ring.submitAndWait(1);
            ring.reap(completions, MAX_OPS);
        }
        throwFailure();
    }

    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            try
            {
                while (opsInFlight > 0)
                {
                    ring.submitAndWait(1);
                    ring.reap(completions, MAX_OPS);
                }
            }
            catch (final IOException ignored)
            {
                // Closing after a failure: the ring's teardown cancels what is left.
            }
            ring.close();
        }
    }

    private void submit() throws IOException
    {
        if (prepared > 0)
        {
            prepared = 0;
            ring.submit();
        }
    }

    private void waitForOverlap(final long deviceOffset, final int length) throws IOException
    {
        if (opsInFlight == 0)
        {
            return; // nothing to overlap: skip the scan of every slot
        }
        final long end = deviceOffset + length;
        for (int op = 0; op < MAX_OPS; op++)
        {
            while (opBusy[op] && opDevice[op] < end && deviceOffset < opDevice[op] + opLength[op])
            {
                awaitOne();
            }
        }
    }

    private void prepare(final int op) throws IOException
    {
        final int done = opDone[op];
        final MemorySegment buffer = done == 0 ? opBuffer[op] : opBuffer[op].asSlice(done);
        final int length = opLength[op] - done;
        final long offset = opDevice[op] + done;
        final int index = opBufferIndex[op];
        while (!(opWrite[op] ?
            (index >= 0 ? ring.prepareWriteFixed(fd, false, buffer, length, offset, index, op) :
                ring.prepareWrite(fd, false, buffer, length, offset, op)) :
            (index >= 0 ? ring.prepareReadFixed(fd, false, buffer, length, offset, index, op) :
                ring.prepareRead(fd, false, buffer, length, offset, op))))
        {
            prepared = 0;
            ring.submit();
        }
        prepared++;
    }

    private void onCompletion(final int op, final int result)
    {
        if (result > 0 && opDone[op] + result < opLength[op] && failure == null)
        {
            // A short transfer (rare on block devices): continue where it stopped.
            opDone[op] += result;
            try
            {
                prepare(op);
                return;
            }
            catch (final IOException ex)
            {
                failure = ex;
            }
        }
        else if (result <= 0 && failure == null)
        {
            final String call = (opWrite[op] ? "write" : "read") + " of " + (opLength[op] - opDone[op]) + " bytes at offset " +
                (opDevice[op] + opDone[op]);
            failure = result == 0 ? new IOException(path + ": " + call + " transferred nothing (the device ended early?)") :
                Errno.exception(call, path.toString(), -result);
        }
        opBusy[op] = false;
        opBuffer[op] = null;
        opsInFlight--;
        freeOps[freeOpCount++] = op;
        final int request = opRequest[op];
        if (--requestPending[request] == 0 && !requestOpen[request])
        {
            complete(request);
        }
    }

    private void complete(final int request)
    {
        freeRequests[freeRequestCount++] = request;
        completedRequests++;
        final long userData = requestUserData[request];
        if (userData != NO_USER_DATA && handler != null)
        {
            handler.onWriteCompleted(userData);
        }
    }

    private void throwFailure() throws IOException
    {
        if (failure != null)
        {
            throw failure;
        }
    }

    private final class Completions implements CompletionHandler
    {
        @Override
        public void onCompletion(final long userData, final int result, final int flags)
        {
            DataRing.this.onCompletion((int)userData, result);
        }
    }
}
